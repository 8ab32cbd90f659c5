"""Writes the binary files of the sample knowledge base (ingest/sample): the policy PDF and the
Excel sheets. Run from the repository root after changing their content:

    .venv/bin/python tests/ingest/make_sample_files.py
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from pdf_writer import pdf_bytes

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "ingest" / "sample"

SAMPLE_POLICY_PAGES = [
    [
        "Lumo Limited Warranty and Privacy Notice",
        "Lumo Home Inc., effective 1 March 2026",
        "",
        "1. Scope",
        "This notice applies to Lumo Hub, Lumo Cam, Lumo Bulb, Lumo Strip and Lumo Sense",
        "devices bought from Lumo Home Inc. or an authorised Lumo retail partner in the",
        "United States and Canada.",
        "",
        "2. Limited warranty",
        "Lumo Home Inc. warrants that each device is free from defects in materials and",
        "workmanship for the warranty period: 2 years for Lumo Hub and Lumo Cam, 1 year",
        "for Lumo Bulb, Lumo Strip and Lumo Sense. The period starts on the delivery date.",
        "Lumo Plus members receive one additional year for devices registered to their",
        "account while the membership is active.",
        "",
        "3. Remedies",
        "If a covered defect appears during the warranty period, Lumo will repair or",
        "replace the device, or refund the purchase price if neither is possible.",
        "Replacement devices may be new or refurbished and carry the remaining warranty",
        "of the original device or 90 days, whichever is longer.",
    ],
    [
        "4. Exclusions",
        "The warranty does not cover accidental damage, liquid damage, power surges,",
        "batteries, cosmetic wear, or devices opened or repaired by anyone other than Lumo.",
        "",
        "5. Personal data we collect",
        "To run your smart home we process account details (name, email address), device",
        "data (device type, serial number, firmware version 4.2.1 or later, status events)",
        "and, for Lumo Cam, video recordings you choose to store in the cloud.",
        "We do not sell personal data and we do not use camera recordings for advertising.",
        "",
        "6. How long we keep data",
        "Device status events are kept for 18 months. Cloud recordings are kept for 3 days,",
        "or 30 days for Lumo Plus members, and are then deleted automatically.",
        "Account details are deleted 14 days after you delete your account.",
    ],
    [
        "7. Your rights",
        "You can download a copy of your data or ask us to correct or delete it from",
        "Profile > Privacy in the Lumo app. We answer every request within 30 days.",
        "",
        "8. Contact",
        "Lumo Home Inc., Privacy Office, 400 Harbor Way, Reno, NV 89501, United States.",
        "Email: privacy@lumohome.example",
        "",
        "9. Changes to this notice",
        "We will tell you about material changes by email at least 30 days before they",
        "take effect. The previous version of this notice was dated 1 June 2025.",
    ],
]


ORDER_FAQ_EN = [
    ("question", "similar_questions", "answer", "category"),
    (
        "Which payment methods do you accept?",
        "how can I pay | do you take PayPal",
        "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and Lumo gift cards.",
        "orders",
    ),
    (
        "Can I cancel my order?",
        "cancel order | I ordered by mistake",
        "You can cancel in Orders until the order is packed, normally within 1 hour of placing it. "
        "After that, wait for delivery and start a return.",
        "orders",
    ),
    (
        "How do I get an invoice?",
        "receipt for my order | VAT invoice",
        "Open the order under Orders and choose Download invoice. Invoices are PDF files with your "
        "order number and billing address.",
        "orders",
    ),
    (
        "Do Lumo gift cards expire?",
        "gift card expiry | gift card valid until",
        "No. Lumo gift cards never expire and can be combined with any payment method.",
        "orders",
    ),
]

ORDER_FAQ_ZH = [
    ("标准问题", "相似问题", "答案", "分类"),
    ("支持哪些支付方式？", "怎么付款\n可以用花呗吗", "支持微信支付、支付宝和银联卡。", "订单"),
    (
        "订单可以取消吗？",
        "取消订单\n下错单了",
        "订单打包前（通常在下单后 1 小时内）可在“我的订单”中取消；已发货的订单请在签收后申请退货。",
        "订单",
    ),
    (
        "怎么开发票？",
        "申请发票\n电子发票",
        "在订单详情中点击“申请发票”，电子发票将在 3 个工作日内发送到您的邮箱。",
        "订单",
    ),
]

PRODUCT_SPECS = [
    ("Product", "Model", "Price (USD)", "Warranty (years)", "Connectivity"),
    ("Lumo Hub", "LH-300", 129, 2, "2.4 GHz Wi-Fi, Ethernet, Zigbee, Thread"),
    ("Lumo Hub", "LH-200", 89, 2, "2.4 GHz Wi-Fi, Zigbee"),
    ("Lumo Cam Indoor", "LC-110", 59, 2, "2.4 GHz Wi-Fi"),
    ("Lumo Cam Outdoor", "LC-210", 99, 2, "2.4 GHz Wi-Fi, IP65"),
    ("Lumo Bulb (4-pack)", "LB-4", 39, 1, "Zigbee"),
    ("Lumo Strip 2 m", "LS-2", 45, 1, "Zigbee"),
    ("Lumo Sense door sensor", "LSD-1", 25, 1, "Zigbee, CR2032 battery"),
    ("Lumo Sense motion sensor", "LSM-1", 29, 1, "Zigbee, CR2032 battery"),
]


def write_workbook(path: Path, sheets: dict[str, list[tuple[object, ...]]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)


if __name__ == "__main__":
    pdf = SAMPLE_DIR / "lumo-warranty-and-privacy.pdf"
    title = "Lumo Limited Warranty and Privacy Notice"
    pdf.write_bytes(pdf_bytes(SAMPLE_POLICY_PAGES, title=title))
    write_workbook(SAMPLE_DIR / "faq.xlsx", {"Orders": ORDER_FAQ_EN, "订单": ORDER_FAQ_ZH})
    write_workbook(SAMPLE_DIR / "product-specs.xlsx", {"Products": PRODUCT_SPECS})
    print(f"wrote the PDF and Excel files in {SAMPLE_DIR}")
