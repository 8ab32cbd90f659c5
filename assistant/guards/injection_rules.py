"""Prompt-injection rules, English and Chinese, matched against normalised (casefolded) text.

Rule ids are "<category>.<name>"; categories: override, extraction, jailbreak, delimiter, planted.
Weights are combined noisy-OR, so strong rules (0.8-0.9) block alone while weak signals
(0.3-0.5, e.g. a bare "from now on you will") only block together.

Pattern shorthand, expanded by Rule:
  " " (a space)  one or more non-word characters between two words
  "~"            any character except a sentence break or comma (bounded gaps: "~{0,8}")
Every pattern is also compiled in a "compact" form (gaps and \\b removed) that is matched
against text whose separators were stripped, which catches "i g n o r e  a l l ...".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_GAP = r"[\W_]+"
_NO_BREAK = r"[^。!?,;\n]"


@dataclass(frozen=True)
class Rule:
    id: str
    weight: float
    pattern: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern.replace(" ", _GAP).replace("~", _NO_BREAK))

    @cached_property
    def compact_regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern.replace(" ", "").replace(r"\b", "").replace("~", _NO_BREAK))


# --- shared vocabulary -------------------------------------------------------------------------
_EN_OBJECT = (
    r"(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|constraints|restrictions"
    r"|programming|commands|orders|guardrails|polic(?:y|ies)|filters?|context|limitations|training)"
)
_EN_QUALIFIER = (
    r"(?:all|any|every|previous|prior|above|earlier|preceding|former|original|initial|system|existing"
    r"|old|your|developer|safety|content|moderation|built-in|default)"
)
_EN_AI = (
    r"(?:ai|a\.i\.|ai assistants?|ai agents?|ai models?|ai systems?|chatbots?|llms?|language models?"
    r"|large language models?|gpt|chatgpt)"
)
# "忘记" not after 我/都/已: "我忘记之前的指令怎么设置了" is a customer who forgot something.
_ZH_IGNORE = (
    "(?:忽略|无视|忽视|忘掉|(?<![我们都已])忘记|抛开|抛弃|放弃|丢弃|丢掉|绕过|违背|违反|不要理会|别理会|别管|不用管"
    "|不要管|不用理|别理|不要理|不再遵守|不要遵守|不用遵守|别遵守|停止遵守|不必遵守)"
)
_ZH_QUALIFIER = "(?:之前|以前|先前|此前|上面|以上|上述|前面|刚才|原来|原有|原先|原始|初始|所有|一切|全部|你的|系统|开发者|默认)"
_ZH_OBJECT = "(?:指令|指示|命令|规则|约束|提示词|安全策略|准则|prompt|instructions?|rules)"
_ZH_REVEAL = "(?:告诉|说出|输出|打印|显示|展示|透露|泄露|泄漏|复述|重复|给我看|发给|发我|列出|写出|念出|贴出|公开|暴露)"
_ZH_SECRET = "(?:提示词|系统指令|初始指令|原始指令|隐藏指令|内部指令|你的(?:系统)?(?:提示|指令|设定|提示词|prompt|初始))"
# Not a bare "机器人": robot vacuums (扫地机器人) are products, not readers of the prompt.
_ZH_AI = "(?:ai|人工智能|智能客服|客服机器人|聊天机器人|问答机器人|语言模型|大模型|大语言模型|ai助手|智能助手|gpt|chatgpt)"
_ROLE = r"(?:system|sys|developer|admin|administrator|root|系统|管理员|开发者)"

RULES: tuple[Rule, ...] = (
    # --- override: replace the assistant's instructions --------------------------------------
    Rule(
        "override.ignore_instructions",
        0.9,
        r"\b(?:ignore|disregard|forget|bypass|override|set aside|stop following|don'?t follow|do not follow"
        r"|no longer follow) "
        rf"(?:(?:the|of|and|these|those|my) )*{_EN_QUALIFIER} (?:\w+ ){{0,2}}?{_EN_OBJECT}\b",
    ),
    Rule(
        "override.forget_everything",
        0.85,
        r"\b(?:ignore|disregard|forget) (?:about )?(?:(?:everything|anything|all(?: of)?(?: that| the)?|what) )?"
        r"you(?:'ve| have)? (?:been|were) (?:told|given|taught)"
        r"|\b(?:ignore|disregard|forget) (?:about )?(?:everything|anything|all(?: of)?(?: that| the)?) "
        r"(?:said |written |stated )?(?:above|so far)",
    ),
    # "Disregard the instructions above and say ...": the trailing order is what makes it an attack;
    # manuals say "disregard the instructions above if the hub is already paired".
    Rule(
        "override.ignore_instructions_then",
        0.9,
        rf"\b(?:ignore|disregard|forget|override|bypass) (?:(?:all|any|the|of|your|these|those) )*{_EN_OBJECT} "
        r"(?:above|before this|so far|you (?:were|have been) given|you received)\b,?"
        r"(?: and| then| now)*(?: instead)? (?:say|tell|print|write|output|respond|reply|answer|reveal|repeat"
        r"|translate|act|pretend|you)\b",
    ),
    Rule(
        "override.ignore_instructions_after",
        0.45,
        rf"\b(?:ignore|disregard|forget|override|bypass) (?:(?:all|any|the|of|your|these|those) )*{_EN_OBJECT} "
        r"(?:above|before this|so far|you (?:were|have been) given|you received)\b",
    ),
    Rule(
        "override.disable_filters",
        0.8,
        r"\b(?:disable|turn off|switch off|deactivate|remove|bypass|drop|lift) (?:all |any )?(?:of )?your "
        r"(?:(?:safety|content|moderation) (?:filters?|rules|guidelines|settings|checks)|filters|guardrails|censorship"
        r"|restrictions|rules|guidelines|limitations)\b",
    ),
    Rule(
        "override.instructions_void",
        0.85,
        r"\b(?:your|all|the|previous|prior) (?:previous |prior |original |system |old )?"
        r"(?:instructions|rules|guidelines|directives|programming|prompt) "
        r"(?:are|is|have been|has been|were|was) (?:now )?(?:cancel+ed|void|revoked"
        r"|overridden|replaced|lifted|suspended|null|no longer valid|deactivated)\b"
        "|你的(?:指令|规则|设定|限制|提示词)(?:已经|已)?(?:被)?(?:取消|作废|失效|废除|解除|撤销)",
    ),
    Rule("override.system_override", 0.6, r"\b(?:system|admin|developer|root|emergency|security) override\b"),
    Rule(
        "override.fake_authority",
        0.6,
        r"\b(?:admin(?:istrator)?|root|developer|sudo|god) (?:access|privileges?|rights|permissions?) "
        r"(?:granted|enabled|activated|unlocked|confirmed)\b",
    ),
    Rule("override.new_persona", 0.45, r"\byou are now (?:an? |the |my )"),
    Rule(
        "override.not_bound",
        0.85,
        r"\byou (?:are|'re) (?:no longer|not|never) (?:bound|restricted|limited|constrained|governed) by\b",
    ),
    Rule(
        "override.priority",
        0.7,
        r"\b(?:this|these|the following) (?:instructions?|message|prompt) (?:takes?|has|have) "
        r"(?:priority|precedence) over\b",
    ),
    Rule(
        "override.new_task",
        0.7,
        r"\byour (?:new|real|actual|true|only) (?:task|job|goal|purpose|role|instructions?|objective|mission) "
        r"(?:is|are|will be|now)\b",
    ),
    Rule(
        "override.new_instructions",
        0.45,
        r"\b(?:new|updated|revised|real|actual|secret|hidden|additional|override) (?:system )?"
        r"(?:instructions?|directives?|rules?|prompt|orders)\s*:",
    ),
    Rule(
        "override.from_now_on",
        0.5,
        r"\b(?:from now on|from this point(?: on| forward)?|henceforth|for the rest of (?:this|the) conversation),? "
        r"you(?:'ll| will| are| must| shall| should| have to| can| may| no longer| only| always| never)\b",
    ),
    Rule(
        "override.ignore_instructions_zh", 0.9, f"{_ZH_IGNORE}~{{0,6}}?{_ZH_QUALIFIER}~{{0,6}}?{_ZH_OBJECT}"
    ),
    Rule(
        "override.forget_persona_zh",
        0.85,
        f"{_ZH_IGNORE}~{{0,4}}?(?:所有|全部|一切|你的)的?(?:设定|限制|人设|身份设定)",
    ),
    Rule(
        "override.not_bound_zh",
        0.85,
        "你(?:不再|无需|不需要|不必|不用)(?:需要)?(?:遵守|遵循|受到?|服从|理会)~{0,6}(?:规则|限制|约束|指令|政策|规定|准则|审查|道德)",
    ),
    Rule(
        "override.ignore_safety_zh",
        0.8,
        f"{_ZH_IGNORE}~{{0,4}}(?:安全策略|安全规则|安全限制|安全准则|内容政策|内容审查|审查机制)",
    ),
    # Weak: customers also write "请忽略以上内容，我搞错了".
    Rule(
        "override.ignore_above_zh",
        0.45,
        f"{_ZH_IGNORE}~{{0,4}}(?:以上|上面|之前|前面|上述)的?(?:所有|全部)?(?:内容|对话|消息|文字|话)",
    ),
    Rule(
        "override.new_persona_zh",
        0.45,
        "(?:现在|从现在开始|接下来)你(?:是|扮演|将扮演|要扮演)(?:一个|一名|一位)",
    ),
    Rule(
        "override.priority_zh",
        0.7,
        "(?:以下|下面|这条)(?:指令|指示|内容|消息)(?:的?优先级(?:最高|更高)|优先于|覆盖)",
    ),
    Rule(
        "override.new_instructions_zh",
        0.45,
        "(?:新的?|最新的?|真正的|额外的?|隐藏的?|秘密的?)(?:系统)?(?:指令|指示|规则|命令)[:是为]",
    ),
    Rule(
        "override.from_now_on_zh",
        0.5,
        "(?:从现在开始|从现在起|从此刻起|从今以后)[,]?你(?:只能|必须|将|要|不再|不能|只会|只需|应该|就是|是|会)",
    ),
    # --- extraction: make the assistant reveal its prompt --------------------------------------
    Rule(
        "extraction.reveal_prompt",
        0.9,
        r"\b(?:print|show|reveal|display|output|repeat|recite|tell|give|share|leak|dump|expose|write out"
        r"|spell out|list|paste|send|provide|disclose|read)\b(?: me| us)?(?: back)? (?:what )?(?:\w+ ){0,3}?"
        r"(?:system prompt|system message|initial prompt|original prompt|hidden prompt|secret prompt"
        r"|developer (?:message|prompt)|pre-?prompt|meta-?prompt"
        r"|(?:initial|original|hidden|secret|system|internal|underlying) "
        r"(?:instructions|rules|guidelines|directives|configuration)"
        r"|(?:your|its) (?:instructions|prompt|directives|guidelines|rules|programming|configuration)"
        r"|(?:your |the )?context window"
        r"|(?:instructions|prompt|rules) you (?:were|have been|are) (?:given|initiali[sz]ed with|programmed with"
        r"|configured with|started with)|(?:instructions|prompt|rules) you received"
        r"|(?:text|words|content) above (?:this|verbatim)|everything above)"
        r"(?! (?:for|on|about|to|regarding|of|that came|included|in the box)\b)",
    ),
    Rule(
        "extraction.ask_prompt",
        0.8,
        r"\bwhat (?:are|were|is|was) (?:your|the) (?:exact |original |initial |full |system |hidden |secret )?"
        r"(?:instructions|system prompt|prompt|initial prompt|directives|programming)"
        r"(?! (?:for|on|about|to|regarding|of)\b)",
    ),
    Rule(
        "extraction.conversation_start",
        0.8,
        r"\b(?:what|everything|text|words)\b~{0,20}\b(?:written|said|stated|given|typed)\b~{0,20}"
        r"\b(?:beginning|start|top) of (?:this|the) (?:conversation|chat|prompt|context)\b",
    ),
    Rule(
        "extraction.repeat_above",
        0.45,
        r"\b(?:repeat|print|output|copy|echo|reproduce)\b~{0,30}\b(?:above|so far)\b",
    ),
    Rule(
        "extraction.starting_with",
        0.5,
        r"\bstarting (?:with|from) (?:the (?:phrase|words?) )?[\"'“]?you are\b",
    ),
    Rule("extraction.verbatim", 0.3, r"\b(?:verbatim|word for word|word-for-word)\b"),
    Rule("extraction.reveal_prompt_zh", 0.9, f"{_ZH_REVEAL}~{{0,8}}?{_ZH_SECRET}"),
    Rule(
        "extraction.reveal_prompt_after_zh",
        0.9,
        f"(?:(?:你的|你收到的|你被设定的)~{{0,4}}?(?:提示词|指令|系统提示(?![音声框信])|prompt)|提示词)"
        f"~{{0,8}}?{_ZH_REVEAL}",
    ),
    Rule(
        "extraction.ask_prompt_zh",
        0.8,
        "你(?:的|收到的|被设定的|接收到的|被赋予的)(?:系统|初始|原始|隐藏)?(?:提示词|指令|设定|prompt)是什么"
        "|你(?:收到的|被设定的|接收到的|被赋予的)(?:规则|限制)是什么",
    ),
    Rule(
        "extraction.repeat_above_zh",
        0.45,
        "(?:重复|复述|输出|打印)~{0,6}(?:上面|以上|之前|前面)的?(?:所有)?(?:内容|文字|话|文本)",
    ),
    Rule(
        "extraction.repeat_above_before_zh",
        0.45,
        "(?:上面|以上|之前|前面)的?(?:所有|全部)?(?:内容|文字|话|文本|指令)~{0,6}(?:重复|复述|输出|打印|发出来|写出来)",
    ),
    Rule("extraction.verbatim_zh", 0.3, "(?:原样|逐字|一字不差|一字不漏)"),
    # --- jailbreak: role-play as an assistant without rules ------------------------------------
    Rule(
        "jailbreak.persona",
        0.9,
        r"\b(?:you are|you're|you will be|you'll be|act as|acting as|pretend to be|pretend you are|pretend you're"
        r"|roleplay as|role-play as|role play as|play the role of|behave like|simulate|impersonate"
        r"|respond as|answer as|reply as|talk as|speak as"
        r"|turn into) (?:now )?(?:an? |the |my )?(?:\w+ ){0,2}?"
        r"(?:dan|stan|dude|aim|evil ?(?:ai|bot|assistant|confidant)|unrestricted|unfiltered|uncensored|jailbroken"
        r"|unbound|amoral|unethical|immoral|rogue|lawless|anti-?gpt|betterdan|chaos ?gpt"
        r"|developer mode|god mode|sudo mode"
        r"|(?:ai|assistant|model|chatbot|bot) (?:without|with no|free of|free from|that has no|which has no"
        r"|that (?:doesn't|does not) have|with zero) (?:any )?"
        r"(?:rules|restrictions|limits|limitations|filters|guidelines|morals|ethics|censorship"
        r"|content polic(?:y|ies)))\b",
    ),
    Rule("jailbreak.dan", 0.9, r"\bdo anything now\b|\bdan mode\b|\bdan (?:prompt|jailbreak)\b"),
    Rule(
        "jailbreak.mode",
        0.85,
        r"\b(?:you are|you're|you will|you'll|you must|you have|you've|yourself)(?: now)?(?: been)? (?:in|entering"
        r"|enter|into|switch(?:ed|ing)? (?:in)?to|operating in|running in|put in|unlock(?:ed)?) "
        r"(?:developer|dev|god|debug|admin|sudo|root|unrestricted|jailbreak|dan"
        r"|maintenance|unlocked|unfiltered) mode\b",
    ),
    Rule(
        "jailbreak.mode_enabled",
        0.8,
        r"\b(?:god|dan|jailbreak|unrestricted|unfiltered|sudo) mode (?:is )?(?:now )?"
        r"(?:enabled|activated|on|engaged|unlocked)\b",
    ),
    Rule(
        "jailbreak.no_rules",
        0.9,
        r"\b(?:pretend|imagine|suppose|assume|act as if|behave as if|hypothetically|let'?s say)\b~{0,30}\byou "
        r"(?:have|had|are under|were under) (?:no|zero) (?:rules|restrictions|limits|limitations|filters|guidelines"
        r"|morals|ethics|content polic(?:y|ies)|censorship|boundaries)\b",
    ),
    Rule(
        "jailbreak.no_limits",
        0.35,
        r"\b(?:without|with no|no|free of|free from|ignore) (?:any |all |your )?(?:ethical |moral |content )?"
        r"(?:restrictions|limitations|filters|censorship|guardrails|content polic(?:y|ies)|morals|ethics)\b",
    ),
    Rule(
        "jailbreak.stay_in_character",
        0.4,
        r"\b(?:stay|remain|keep) in character\b|\bbreak(?:ing)? character\b",
    ),
    Rule("jailbreak.word", 0.3, r"\bjailbr(?:eak|oken|eaking)\b"),
    Rule(
        "jailbreak.persona_zh",
        0.9,
        "(?:假装|假设|扮演|想象|当作|当成|充当|化身|变成|成为|你现在是|你是|作为|模拟)~{0,8}"
        "(?:没有|不受|无|摆脱了?|解除了?|突破了?|无视)(?:任何|一切|所有)?(?:道德|伦理|安全|内容)?"
        "(?:限制|约束|规则|审查|道德|过滤|底线|束缚|规定)"
        "的?(?:ai|人工智能|助手|机器人|模型|chatgpt|gpt|角色|聊天机器人)",
    ),
    Rule(
        "jailbreak.no_rules_zh",
        0.85,
        "(?:假设|假如|想象|假装|如果)你(?:没有|不受|摆脱了?|不存在)(?:任何)?(?:道德|伦理|安全|内容)?(?:限制|约束|规则|审查|底线)",
    ),
    Rule(
        "jailbreak.evil_persona_zh",
        0.9,
        "(?:假装|扮演|充当|化身|你现在是|你是)~{0,6}(?:邪恶|无限制|不受限|越狱|dan|黑化|无道德|不道德|没有道德)",
    ),
    Rule(
        "jailbreak.mode_zh",
        0.85,
        "你(?:现在|已经|已|从现在起|从现在开始)(?:进入|处于|切换到|切换为|切换成|运行在|是)了?~{0,2}"
        "(?:开发者|上帝|无限制|管理员|越狱|dan|调试|超级)模式"
        "|(?:进入|开启|启用|激活)了?(?:越狱|dan|上帝|无限制)模式",
    ),
    Rule(
        "jailbreak.no_limits_zh",
        0.35,
        "(?:不受|没有|无视|摆脱|解除|突破|绕过)(?:任何|一切|所有|你的)?(?:道德|伦理|安全|内容)?(?:限制|约束|审查|过滤|底线|束缚)",
    ),
    Rule("jailbreak.word_zh", 0.3, "越狱"),
    # --- delimiter: fake turns, tags and fences that pretend to end the context ----------------
    Rule(
        "delimiter.fake_assistant_turn",
        0.8,
        r"(?:^|\n)\s*(?:assistant|ai|bot|助手)\s*:\s*(?:sure|of course|okay|ok|certainly|好的|当然)[^\n]{0,40}"
        r"(?:system prompt|instructions|prompt|提示词|指令)",
    ),
    Rule(
        "delimiter.fake_role",
        0.45,
        rf"(?:^|\n)\s*(?:#{{1,6}}\s*|\*\*)?(?:{_ROLE}|assistant)\s*(?:message|prompt|override|notice|update|指令|消息|通知)?"
        r"\s*(?:\*\*)?\s*:",
    ),
    Rule(
        "delimiter.fake_role_instruction",
        0.8,
        rf"\b{_ROLE}\s*(?:message|prompt|override|notice|update|指令|消息|通知)?\s*[\])>】]*\s*:\s*[^\n]{{0,40}}?"
        r"(?:ignore|disregard|override|forget|you are now|you're now|from now on|new (?:instructions|rules|persona)"
        r"|reveal|jailbreak|unrestricted|忽略|无视|你现在是|从现在(?:开始|起)|新的?(?:指令|规则)|透露|泄露)",
    ),
    Rule(
        "delimiter.role_tag",
        0.6,
        r"</?\s*(?:system|context|contexts|documents?|passages?|sources?|knowledge|instructions?|prompt|rules"
        r"|retrieved|search_results?|user_query|question|assistant|user)\s*>",
    ),
    # Weak: apps print "[System] your order has shipped" and customers paste it.
    Rule(
        "delimiter.role_bracket", 0.45, rf"[\[【]\s*/?{_ROLE}(?:指令|消息|通知|模式|message|notice)?\s*[\]】]"
    ),
    Rule(
        "delimiter.chat_tokens",
        0.7,
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>"
        r"|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>|###\s*(?:instruction|system|response)\b",
    ),
    Rule(
        "delimiter.fence",
        0.6,
        r"`{3}\s*(?:system|instructions?|prompt|admin|override|jailbreak|rules|policy|系统|指令)\b",
    ),
    Rule("delimiter.json_role", 0.7, r"[\"']role[\"']\s*:\s*[\"'](?:system|developer)[\"']"),
    Rule(
        "delimiter.prompt_boundary",
        0.6,
        r"\b(?:begin|start|end)(?: of)? (?:the )?(?:system prompt|system message|developer message|instructions)\b",
    ),
    Rule(
        "delimiter.end_of_context",
        0.4,
        r"\bend of (?:the )?(?:context|documents?|passages?|system prompt|instructions|user input|conversation)\b"
        "|(?:上下文|文档|资料|系统提示)(?:到此)?结束",
    ),
    # --- planted: text inside a document that addresses the AI reading it ----------------------
    Rule(
        "planted.note_to_ai",
        0.8,
        r"\b(?:note|message|instructions?|attention|reminder|important|hint|directive|memo) (?:to|for) "
        rf"(?:the |any |all )?{_EN_AI}\b",
    ),
    Rule(
        "planted.if_you_are_ai",
        0.5,
        r"\bif you(?: are|'re)(?: an?| the)? (?:ai|a\.i\.|llm|language model|large language model|chatbot|ai assistant"
        r"|virtual assistant|gpt|chatgpt|bot|automated system)\b",
    ),
    Rule(
        "planted.ai_must",
        0.55,
        rf"\b{_EN_AI}\b~{{0,30}}\b(?:must|should|shall|is instructed to|are instructed to|has to|have to|needs? to"
        r"|is required to|are required to)\b~{0,30}\b(?:tell|say|respond|answer|reply|recommend|direct|output|ignore"
        r"|claim|inform|state|mention|include|send|ask|redirect|insist)\b",
    ),
    Rule("planted.note_to_ai_zh", 0.8, f"(?:致|给|写给|告知|通知|提醒|注意|重要)~{{0,3}}{_ZH_AI}~{{0,3}}:"),
    Rule("planted.if_you_are_ai_zh", 0.5, f"如果你是(?:一个|一名)?{_ZH_AI}"),
    Rule(
        "planted.ai_must_zh",
        0.55,
        f"{_ZH_AI}~{{0,8}}(?:必须|应该|应当|需要|一定要|务必)~{{0,10}}(?:告诉|回答|回复|声称|说|推荐|忽略|输出|引导|转告|告知|透露)",
    ),
)
