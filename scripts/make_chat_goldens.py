#!/usr/bin/env python3
"""Writes tests/chat/data/chat_goldens.json: prompts rendered by HF transformers'
apply_chat_template(tokenize=False), the reference for runtime/chat/.

The C++ renderers are hand-written (no Jinja engine), so these strings are the independent
reference they must equal byte for byte. Every string here comes out of transformers'
own Jinja environment; nothing is computed by llmrun.

Templates:
  * the fixture tokenizer configs (never copied into the repo, only read):
      tokenizers/qwen3/tokenizer_config.json   (Qwen3, thinking switch)
      tokenizers/llama3/tokenizer_config.json  (early Llama-3 template: no add_generation_prompt check)
    loaded with AutoTokenizer.from_pretrained(<fixture dir>) offline;
  * official templates written below as constants (source noted on each), rendered with
    the same apply_chat_template through a tiny in-memory tokenizer whose bos/eos are the
    model's (<s>, </s>, <|begin_of_text|>).

For each template it renders a set of conversations under add_generation_prompt true/false
(and enable_thinking true/false for Qwen3), recording the exact string or, where the
template raises, the exception message. It also simulates a chat loop (prompt, reply,
next prompt) and records whether each new prompt starts with what the KV cache already
holds (previous prompt + generated reply), i.e. whether the cache prefix can be reused.

Run (no network needed; versions used: transformers 4.57.6, tokenizers 0.22.2,
jinja2 3.1.6 — /work/venv-goldens, see scripts/requirements-goldens.txt):

    HF_HUB_OFFLINE=1 /work/venv-goldens/bin/python scripts/make_chat_goldens.py \
        [--fixtures ../shared/fixtures] [--out tests/chat/data/chat_goldens.json]
"""
import argparse
import hashlib
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import jinja2  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, models  # noqa: E402
from transformers import AutoTokenizer, PreTrainedTokenizerFast  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

# --- Official templates (the chat_template string of each model's tokenizer_config.json) ---

# meta-llama/Llama-2-7b-chat-hf and Llama-2-13b-chat-hf tokenizer_config.json, as quoted in
# text-generation-inference's chat-template tests and many projects that pin it.
LLAMA2_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
    "{% endif %}{% endfor %}"
)

# mistralai/Mistral-7B-Instruct-v0.1 / -v0.2 and Mixtral-8x7B-Instruct-v0.1 (the "v1"
# tokenizer) tokenizer_config.json after Mistral's 2024 update that added the optional
# system message; llama.cpp detects it by "' [INST] ' + system_message". See also
# mistralai/cookbook concept-deep-dive/tokenization/templates.md (V1).
MISTRAL_CHAT_TEMPLATE = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
"""

# meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json as it is now (the first release
# lacked the add_generation_prompt check; the llama3 fixture still has that early form).
LLAMA3_CHAT_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

# teknium/OpenHermes-2.5-Mistral-7B: plain ChatML (quoted in text-generation-inference's
# chat-template tests).
CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Qwen/Qwen1.5-72B-Chat (quoted in huggingface/swift-jinja's model tests); Qwen2-Instruct
# ships the same one: ChatML plus a default system turn.
QWEN15_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Qwen/Qwen2.5-*-Instruct: ChatML, default system "You are Qwen, created by Alibaba Cloud...",
# tool branch (unused here). As printed by llama-cpp-python from a Qwen2.5 GGUF's
# tokenizer.chat_template.
QWEN25_CHAT_TEMPLATE = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# name -> how to load it and the llmrun ChatFormat it must be detected as.
TEMPLATES = {
    "qwen3-fixture": dict(fixture="tokenizers/qwen3",
                          format=dict(name="qwen3", default_system="", generation_prompt_always=False)),
    "llama3-fixture": dict(fixture="tokenizers/llama3",
                           format=dict(name="llama3", default_system="", generation_prompt_always=True)),
    "llama3-official": dict(template=LLAMA3_CHAT_TEMPLATE, bos="<|begin_of_text|>", eos="<|eot_id|>",
                            source="meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json",
                            format=dict(name="llama3", default_system="", generation_prompt_always=False)),
    "llama2-official": dict(template=LLAMA2_CHAT_TEMPLATE, bos="<s>", eos="</s>",
                            source="meta-llama/Llama-2-7b-chat-hf tokenizer_config.json",
                            format=dict(name="llama2", default_system="", generation_prompt_always=False)),
    "mistral-official": dict(template=MISTRAL_CHAT_TEMPLATE, bos="<s>", eos="</s>",
                             source="mistralai/Mistral-7B-Instruct-v0.2 / Mixtral-8x7B-Instruct-v0.1 tokenizer_config.json",
                             format=dict(name="mistral", default_system="", generation_prompt_always=False)),
    "chatml-openhermes": dict(template=CHATML_TEMPLATE, bos="<s>", eos="<|im_end|>",
                              source="teknium/OpenHermes-2.5-Mistral-7B tokenizer_config.json",
                              format=dict(name="chatml", default_system="", generation_prompt_always=False)),
    "qwen15-official": dict(template=QWEN15_CHAT_TEMPLATE, bos="", eos="<|im_end|>",
                            source="Qwen/Qwen1.5-72B-Chat tokenizer_config.json",
                            format=dict(name="chatml", default_system="You are a helpful assistant.",
                                        generation_prompt_always=False)),
    "qwen25-official": dict(template=QWEN25_CHAT_TEMPLATE, bos="", eos="<|im_end|>",
                            source="Qwen/Qwen2.5-Instruct tokenizer_config.json",
                            format=dict(name="chatml",
                                        default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
                                        generation_prompt_always=False)),
}


def sys_(c):
    return {"role": "system", "content": c}


def user(c):
    return {"role": "user", "content": c}


def asst(c):
    return {"role": "assistant", "content": c}


THINK = "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?"
UNICODE = "Grüße, 世界! Ça va? 🙂👍🏽 مرحبا\nline two\n\n\tindented\r\nCRLF end"

CONVERSATIONS = {
    "user_only": [user("Hello!")],
    "system_user": [sys_("You are a helpful assistant."), user("Hello!")],
    "multi_turn": [user("What is 2+2?"), asst("4."), user("And 3+3?")],
    "multi_turn_system": [sys_("Answer briefly."), user("What is 2+2?"), asst("4."),
                          user("And 3+3?"), asst("6."), user("Thanks!")],
    "assistant_last": [sys_("Answer briefly."), user("What is 2+2?"), asst("4.")],
    "system_only": [sys_("You are terse.")],
    "empty_system": [sys_(""), user("Hi")],
    "empty_contents": [user(""), asst(""), user("x")],
    # Qwen3 <think> handling: reasoning in history (dropped), in the last turn (kept).
    "think_in_history": [user("Hi"), asst(THINK), user("Tell me a joke.")],
    "think_in_last_assistant": [sys_("Be nice."), user("Hi"), asst(THINK)],
    "no_think_in_last_assistant": [user("Hi"), asst("Hello!")],
    "think_odd_forms_history": [user("a"), asst("<think>unclosed reasoning"), user("b"),
                                asst("x</think>y</think>z"), user("c"),
                                asst("\n\n<think>\n\nR\n\n</think>\n\n\nA\n"), user("d")],
    "think_odd_forms_last": [user("a"), asst("pre<think>\n r \n</think>post\n")],
    "think_empty_last": [user("a"), asst("<think></think>only answer")],
    "newlines_last_assistant": [user("a"), asst("\n\nanswer after blank lines\n")],
    "think_only_open_last": [user("a"), asst("\n<think>\nstill thinking")],
    "two_assistants_after_query": [user("q"), asst("<think>r1</think>a1"), asst("a2"),
                                   asst("<think>r3</think>a3")],
    "tool_response_user": [user("q"), asst("<think>r</think>a"),
                           user("<tool_response>\n42\n</tool_response>")],
    "system_in_middle": [user("Hi"), asst("Hello."), sys_("New rule: be brief."), user("Ok?")],
    "unicode_newlines": [sys_("Système: réponds en français.\n\nMerci."), user(UNICODE),
                         asst("Réponse 🙂\n\n- a\n- b"), user("日本語で？")],
    "whitespace_edges": [sys_("  padded system \n"), user(" \t padded user \n\n"),
                         asst("\n  padded answer  \n"), user("\u3000ideographic\u00a0nbsp\u2003 "),
                         asst("\u200bzero-width\u200b"), user("\u0085next-line\u2028")],
    "starts_with_assistant": [asst("Hi."), user("Hello?")],
    "consecutive_users": [user("one"), user("two")],
    "consecutive_assistants": [user("q"), asst("a1"), asst("a2")],
    "system_second": [user("Hi"), sys_("late system")],
}

# Chat-loop simulation: (system or None, [(user text, generated reply per template kind)]).
DIALOGUE_SYSTEM = "You are a math tutor."
DIALOGUE_TURNS = ["What is 2+2?", "And 3+3?", "Thanks, bye!"]
DIALOGUE_ANSWERS = ["2 + 2 = 4.", "3 + 3 = 6.", "You're welcome!"]


def generated_reply(fmt_name, enable_thinking, answer):
    """What the model emits after the generation prompt, as the runtime decodes it."""
    if fmt_name == "qwen3" and enable_thinking:
        return "<think>\nSimple arithmetic.\n</think>\n\n" + answer
    if fmt_name in ("llama2", "mistral"):
        return " " + answer  # SentencePiece: the first piece carries the word's space
    return answer


def stored_content(fmt_name, generated):
    """The assistant message the runtime keeps: Mistral's template adds the space back."""
    if fmt_name == "mistral" and generated.startswith(" "):
        return generated[1:]
    return generated


def tiny_tokenizer(bos, eos):
    vocab = {"<unk>": 0}
    for t in (bos, eos):
        if t and t not in vocab:
            vocab[t] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos or None, eos_token=eos,
                                   unk_token="<unk>")


def load(name, spec, fixtures):
    if "fixture" in spec:
        path = fixtures / spec["fixture"]
        tok = AutoTokenizer.from_pretrained(str(path))
        cfg = path / "tokenizer_config.json"
        info = {"fixture": f"{spec['fixture']}/tokenizer_config.json",
                "fixture_sha256": hashlib.sha256(cfg.read_bytes()).hexdigest()}
        return tok, None, info
    tok = tiny_tokenizer(spec["bos"], spec["eos"])
    return tok, spec["template"], {"source": spec["source"], "template": spec["template"]}


def render(tok, template, messages, gen, think):
    kwargs = dict(tokenize=False, add_generation_prompt=gen, enable_thinking=think)
    if template is not None:
        kwargs["chat_template"] = template
    return tok.apply_chat_template(messages, **kwargs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=str(REPO_ROOT.parent / "shared" / "fixtures"))
    ap.add_argument("--out", default=str(REPO_ROOT / "tests" / "chat" / "data" / "chat_goldens.json"))
    args = ap.parse_args()
    fixtures = Path(args.fixtures)

    out = {
        "generator": {
            "script": "scripts/make_chat_goldens.py",
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "jinja2": jinja2.__version__,
        },
        # Code points Python's str.strip() removes (str.isspace): what Jinja's trim and
        # content.strip() strip.
        "python_whitespace": [c for c in range(0x110000) if chr(c).isspace()],
        "templates": {},
        "cases": [],
        "dialogues": [],
    }
    for tname, spec in TEMPLATES.items():
        tok, template, info = load(tname, spec, fixtures)
        fmt = spec["format"]
        out["templates"][tname] = dict(info, format=fmt)
        thinking_values = [True, False] if fmt["name"] == "qwen3" else [True]
        for cname, messages in CONVERSATIONS.items():
            for gen in (True, False):
                for think in thinking_values:
                    case = {"template": tname, "conversation": cname, "messages": messages,
                            "add_generation_prompt": gen, "enable_thinking": think}
                    try:
                        case["expected"] = render(tok, template, messages, gen, think)
                    except jinja2.exceptions.TemplateError as e:
                        case["error"] = str(e)
                    # Llama-2's template silently drops a system message at an odd position
                    # (it falls through every branch); llmrun refuses it instead.
                    if (fmt["name"] == "llama2" and "error" not in case and
                            any(m["role"] == "system" for m in messages[1:])):
                        case["llmrun_deviation"] = "error: HF drops a non-leading system message"
                    out["cases"].append(case)

        for think in thinking_values:
            for system in (None, DIALOGUE_SYSTEM):
                messages = [sys_(system)] if system is not None else []
                fed = None
                steps = []
                for question, answer in zip(DIALOGUE_TURNS, DIALOGUE_ANSWERS):
                    messages.append(user(question))
                    prompt = render(tok, template, messages, True, think)
                    gen_text = generated_reply(fmt["name"], think, answer)
                    stored = stored_content(fmt["name"], gen_text)
                    steps.append({"user": question, "prompt": prompt,
                                  "cache_prefix_reusable": fed is not None and prompt.startswith(fed),
                                  "generated": gen_text, "stored_reply": stored})
                    fed = prompt + gen_text  # the stop token is sampled, never fed back
                    messages.append(asst(stored))
                out["dialogues"].append({"template": tname, "system": system or "",
                                         "enable_thinking": think, "steps": steps})

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_err = sum("error" in c for c in out["cases"])
    print(f"wrote {args.out}: {len(out['cases'])} cases ({n_err} errors), "
          f"{len(out['dialogues'])} dialogues")


if __name__ == "__main__":
    main()
