"""The OpenAI Chat Completions shapes kefu speaks (request, response, stream chunk, model list),
plus kefu's extension: `citations` on the response and on the last stream chunk."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas import CitationOut, SafeText


class ContentPart(BaseModel):
    """One part of a message's content; only "text" parts are read (image_url, input_audio, ...:
    accepted, not used)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(min_length=1, max_length=64)
    text: SafeText | None = None

    @model_validator(mode="after")
    def _text_part_has_text(self) -> ContentPart:
        if self.type == "text" and self.text is None:
            raise ValueError('a content part of type "text" needs a string `text`')
        return self


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted, not used

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: SafeText | list[ContentPart] | None = None

    def text(self) -> str:
        """Plain text of the message; content parts of type "text" are joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content or [] if part.type == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    # Sampling parameters (temperature, max_tokens, top_p, ...) are accepted and ignored: the
    # answer pipeline decides how to answer from the knowledge base.
    model_config = ConfigDict(extra="allow")

    model: SafeText = Field(min_length=1, max_length=128, description="The knowledge base to answer from.")
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = 1
    user: SafeText | None = Field(None, max_length=256)


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: str | None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    logprobs: None = None
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class KefuExtension(BaseModel):
    session_id: str | None
    message_id: str | None  # for POST /v1/messages/{id}/feedback
    mode: str  # generated | extractive | refused | ...


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None
    citations: list[CitationOut] = Field(default_factory=list)
    kefu: KefuExtension | None = None


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    logprobs: None = None
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    system_fingerprint: str | None = None
    usage: Usage | None = None
    citations: list[CitationOut] | None = None
    kefu: KefuExtension | None = None


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]
