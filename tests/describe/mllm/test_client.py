"""The OpenAI-compatible backend's reading of chat-completion responses (``client._answer_of``)."""

from __future__ import annotations

import pytest

from autocompose.describe.mllm.client import RetryableError, _answer_of


def test_answer_and_usage_are_read_from_the_json():
    body = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"parts": {}}'}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 97, "total_tokens": 909},
    }
    assert _answer_of(body) == ('{"parts": {}}', {"prompt_tokens": 812, "completion_tokens": 97})


def test_missing_usage_and_null_content_are_tolerated():
    assert _answer_of({"choices": [{"message": {"content": None}}]}) == ("", {})


@pytest.mark.parametrize(
    "body",
    [{}, {"choices": []}, {"choices": [{"text": "legacy completion"}]}, "not json", {"choices": [{"message": {"content": 3}}]}],
)
def test_malformed_responses_are_retryable_errors_that_say_what_is_missing(body):
    with pytest.raises(RetryableError, match="malformed chat completion"):
        _answer_of(body)
