"""One prompt everywhere: the chat template verl trains with renders exactly the R1-Zero text eval uses."""

import pytest

from verl_srpo.prompts import R1_ZERO_CHAT_TEMPLATE, R1_ZERO_SYSTEM, chat_messages, r1_zero_text
from verl_srpo.testing.tiny import word_tokenizer


@pytest.mark.parametrize("domain", ["math", "code"])
def test_chat_template_renders_the_r1_zero_text(domain):
    tok = word_tokenizer([])
    tok.chat_template = R1_ZERO_CHAT_TEMPLATE
    question = "What is 1 + 1?"
    rendered = tok.apply_chat_template(chat_messages(question, domain), tokenize=False, add_generation_prompt=True)
    assert rendered == r1_zero_text(question, domain)
    assert rendered.startswith(R1_ZERO_SYSTEM + " User: What is 1 + 1?") and rendered.endswith(" Assistant: <think>")


def test_training_config_uses_it(compose):
    assert compose(["+plugin=verl_srpo"]).actor_rollout_ref.model.custom_chat_template == R1_ZERO_CHAT_TEMPLATE
    baseline = compose(["+prompt=r1_zero", "algorithm.adv_estimator=grpo"])  # the GRPO/DAPO recipes
    assert baseline.actor_rollout_ref.model.custom_chat_template == R1_ZERO_CHAT_TEMPLATE
