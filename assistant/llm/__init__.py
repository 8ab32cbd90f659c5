"""LLM access for kefu: every call goes through litellm (see client.py); the packaged local model is
an in-process litellm provider (local.py); capabilities.py says what a model can be trusted with.

Importing this package does not import litellm or llama-cpp-python; the first call does.
"""

from assistant.llm.capabilities import Capabilities, model_capabilities
from assistant.llm.client import LLMClient, LLMError, LLMReply

__all__ = ["Capabilities", "LLMClient", "LLMError", "LLMReply", "model_capabilities"]
