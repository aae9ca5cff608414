"""The R1-Zero prompt template that SRPO-Qwen-32B is trained and evaluated with.

One definition, used by data preparation (``recipes/data``), evaluation (``eval/``) and the
model card, so that training, evaluation and the published usage snippet cannot drift apart.
Source: ``docs/SRPO.md`` ("Prompt"): third parties evaluate SRPO-Qwen-32B with the
DeepSeek-R1-Zero template, the question inserted after "User:" and the reply opened with
"Assistant: <think>".
"""

from __future__ import annotations

R1_ZERO_SYSTEM = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
    "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
    "</answer>."
)

# Appended to a code problem: the code reward reads the last fenced Python block of the answer.
CODE_INSTRUCTION = (
    "Write a complete Python 3 solution. Put the final program in one fenced code block "
    "(```python ... ```) inside the <answer> </answer> tags."
)

# Appended to a math problem: the math reward reads <answer>...</answer>, or else the last \boxed{}.
MATH_INSTRUCTION = "Put the final answer inside the <answer> </answer> tags."


# verl renders the ``prompt`` column with a chat template. This one renders ``chat_messages(q, d)`` into
# exactly ``r1_zero_text(q, d)``, so training (``+plugin=verl_srpo`` sets it as verl's
# ``actor_rollout_ref.model.custom_chat_template``, from ``config/prompt/r1_zero.yaml``), evaluation and
# the model card all see one prompt, whatever template the base model's tokenizer ships
# (``tests/test_prompts.py`` ties the two).
R1_ZERO_CHAT_TEMPLATE = (
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{{ m['content'] }}"
    "{%- elif m['role'] == 'user' -%}{{ ' User: ' + m['content'] }}"
    "{%- elif m['role'] == 'assistant' -%}{{ ' Assistant: <think>' + m['content'] }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ ' Assistant: <think>' }}{%- endif -%}"
)


def user_turn(question: str, domain: str = "math") -> str:
    """The user message for one problem of ``domain`` ("math" or "code")."""
    if domain not in ("math", "code"):
        raise ValueError(f"unknown domain {domain!r}: expected 'math' or 'code'")
    instruction = CODE_INSTRUCTION if domain == "code" else MATH_INSTRUCTION
    return f"{question.strip()}\n\n{instruction}"


def r1_zero_text(question: str, domain: str = "math") -> str:
    """The raw completion-style prompt, exactly as R1-Zero is evaluated (no chat template)."""
    return f"{R1_ZERO_SYSTEM} User: {user_turn(question, domain)} Assistant: <think>"


def chat_messages(question: str, domain: str = "math") -> list[dict[str, str]]:
    """The prompt as chat messages (verl's ``prompt`` column), system + user."""
    return [
        {"role": "system", "content": R1_ZERO_SYSTEM},
        {"role": "user", "content": user_turn(question, domain)},
    ]
