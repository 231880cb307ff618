#!/usr/bin/env python3
"""Golden token ids for tests/tokenizer, produced by Hugging Face `tokenizers` and
`sentencepiece` (versions pinned in scripts/requirements-tokenizer-goldens.txt).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r scripts/requirements-tokenizer-goldens.txt
    /tmp/venv/bin/python scripts/make_tokenizer_goldens.py [--fixtures ../shared/fixtures] [--write-corpus]

Inputs
  tests/tokenizer/data/corpus.json   the corpus: [{"name", "base64"}], exact bytes (CRLF,
                                     tabs, invalid UTF-8 kept). --write-corpus rebuilds it
                                     from CASES below plus seeded random "fuzz" strings.
  <fixtures>/wikitext2/wiki.test.raw first 200 lines (read by the C++ test from the fixture
                                     too, never copied here).
Outputs (tests/tokenizer/data/)
  goldens_<name>.json                ids with and without special tokens and HF's decode
                                     for every corpus case and wikitext line.
  synthetic_roberta.tokenizer.json, synthetic_split.tokenizer.json
                                     small byte-level BPEs trained here (--retrain) to cover
                                     added-token options, post-processors, Split behaviors.
  stories260k_metaspace.tokenizer.json, stories260k_legacy.tokenizer.json
                                     Llama-2-style tokenizer.json files converted from
                                     stories260k's tokenizer.model by transformers (the
                                     Metaspace form it writes today, and the older
                                     Prepend+Replace normalizer form).

Invalid UTF-8: a Python str cannot hold invalid bytes, so each case's bytes are given to
HF / SentencePiece as raw.decode("utf-8", errors="replace"): every maximal invalid
subpart becomes one U+FFFD. The C++ tokenizers read invalid bytes the same way, so the
test feeds them the raw bytes and expects these ids.
"""
import argparse
import base64
import json
import os
import random
import sys

import sentencepiece
import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "tests", "tokenizer", "data")
WIKITEXT_LINES = 200

CASES = [
    ("empty", b""),
    ("space", b" "),
    ("newline", b"\n"),
    ("newlines", b"\n\n\n"),
    ("plain", b"Hello, world! This is a test."),
    ("leading_trailing_spaces", b"  leading and trailing  "),
    ("whitespace_runs", b"a    b\t\t c  \n\n   \n d   "),
    ("tabs", b"\tindented\n\t\tdouble\ttab\t"),
    ("crlf", b"line one\r\nline two\r\n\r\nend\r"),
    ("digits", b"1234567890 3.14159 1,000,000 2024-01-01 007 +42 -0.5e10"),
    ("long_digits", b"12345678901234567890123456789012345678901234567890123456789"),
    ("contractions", b"I'm sure you're right, DON'T do it. We'll see; she'd've known. It's O'Neil's. I'M HE'LL"),
    ("cjk", "我爱北京天安门。日本語のテキスト、カタカナ。한국어 문장입니다.".encode()),
    ("arabic", "مرحبا بالعالم، كيف حالك؟ ١٢٣ ٤٥".encode()),
    ("devanagari", "नमस्ते दुनिया, यह एक परीक्षण है। क्षत्रिय".encode()),
    ("emoji_zwj", "Family: 👨‍👩‍👧‍👦, flags 🇫🇷🇯🇵, skin 👍🏽, heart ❤️ 🫠".encode()),
    ("combining_nfc", "e\u0301 cafe\u0301 A\u030a n\u0303o \u00c5 \u212b \u1e9b\u0323 o\u0308\u0304".encode()),
    ("unicode_spaces", "a\u00a0b\u2009c\u3000d\u0085e\u2028f \u180eg\u200bh".encode()),
    ("chatml", b"<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"),
    ("think", b"<think>\nLet me reason.\n</think>\n\nThe answer is 42."),
    ("specials_adjacent", b"x<|im_end|>y <|endoftext|>  <|im_start|><|im_start|> <tool_call>{}</tool_call>"),
    ("specials_partial", b"<|im_start <|im_end|| <think > </think"),
    ("llama3_header", b"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"),
    ("llama2_inst", b"<s>[INST] hi there [/INST] ok</s> <unk> < s>"),
    ("source_code", b"""#include <cstdio>\n\nint main(int argc, char** argv) {\n    // print \"h\\u00e9llo\"\n    for (int i = 0; i < argc; ++i) {\n\tprintf(\"%s\\n\", argv[i]);\n    }\n    return 0;  /* done */\n}\n\ndef f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # \xc3\xa9t\xc3\xa9\n"""),
    ("punctuation", b"!!!??? ... --- *** ### ((( ))) [[ ]] {{ }} <<>> ''' \"\"\" ``` ~~~"),
    ("url_email", b"https://example.com/path?q=1&x=y#frag user.name+tag@example.org"),
    ("replacement_char", "already \ufffd replaced".encode()),
    ("metaspace_char", "\u2581word \u2581\u2581 x".encode()),
    ("invalid_ff", b"abc\xff\xfe def"),
    ("invalid_truncated_3", b"euro \xe2\x82 end"),
    ("invalid_surrogate", b"sur\xed\xa0\x80rogate"),
    ("invalid_truncated_emoji_end", b"smile \xf0\x9f\x98"),
    ("invalid_overlong", b"over\xc0\xaflong \xe0\x80\x80"),
    ("invalid_lone_continuation", b"\x80\x80 x \xbf"),
    ("invalid_mixed", b"\xf4\x90\x80\x80 \xf5 \xc3\x28 \xe2\x28\xa1 ok"),
    ("added_options", b"a  <mask> b<r>   c [SW] d[SW] [SW]e Hello World HELLO  WORLD x <both>  y\t<mask>\t<r>\n"),
    ("split_behaviors", b"  one, two;three... x-ray xxx 12ab34 it's  DON'T  \xc3\xa9t\xc3\xa9 e\xcc\x81  "),
]

FUZZ_POOL = [
    "a", "b", "Z", "the", "The", "HELLO", "word", "0", "7", "42", "123456", " ", "  ", "\t", "\n",
    "\r\n", "\r", "\n\n", ".", ",", "!", "?", "'", "'s", "'T", "'re", "'LL", "-", "_", "(", ")",
    "\"", "#", "@", "/", "\\", "{", "}", "<", ">", "|", "\u0085", "\u00a0", "\u2028", "\u3000",
    "\u180e", "\u200b", "\u200d", "\u017f", "\u212a", "\u0130", "\u00df", "\u00e9", "e\u0301",
    "\u0301", "\u0627\u0644", "\u0661\u0662", "\u0928\u092e", "\u0915\u094d\u0937", "\u4e2d\u6587",
    "\u65e5\u672c", "\ud55c", "\u0416\u0438\u0437\u043d\u044c", "\u03b1\u03b2\u03b3", "\u00b2",
    "\u2162", "\uff11\uff12", "\U0001d400", "\U0001f600", "\U0001f468\u200d\U0001f469",
    "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "\ufffd", "\u2581", "<|im_end|>", "<|im_start|>",
    "<think>", "</think>", "<s>", "</s>", "<|endoftext|>", "<|eot_id|>", "<0x41>", "\u00ff",
]


def build_corpus():
    cases = [{"name": n, "base64": base64.b64encode(b).decode()} for n, b in CASES]
    rng = random.Random(20240607)
    letters = "abcdefghijklmnopqrstuvwxyz"
    word = "".join(rng.choice(letters) for _ in range(10 * 1024)).encode()
    cases.append({"name": "single_word_10k", "base64": base64.b64encode(word).decode()})
    spaces = (b" " * 3000) + b"x" + (b"\n" * 2000) + (b"\t " * 1000)
    cases.append({"name": "whitespace_6k", "base64": base64.b64encode(spaces).decode()})
    for i in range(300):
        s = "".join(rng.choice(FUZZ_POOL) for _ in range(rng.randint(1, 24)))
        cases.append({"name": f"fuzz_{i:03d}", "base64": base64.b64encode(s.encode()).decode()})
    return cases


def wikitext_lines(fixtures):
    with open(os.path.join(fixtures, "wikitext2", "wiki.test.raw"), "rb") as f:
        raw = f.read()
    return raw.split(b"\n")[:WIKITEXT_LINES]


def as_text(raw):
    return raw.decode("utf-8", errors="replace")


class HfJson:
    def __init__(self, path):
        self.tok = Tokenizer.from_file(path)

    def record(self, raw):
        text = as_text(raw)
        ids = self.tok.encode(text, add_special_tokens=False).ids
        ids_special = self.tok.encode(text, add_special_tokens=True).ids
        keep = self.tok.decode(ids, skip_special_tokens=False)
        skip = self.tok.decode(ids_special, skip_special_tokens=True)
        return ids, ids_special, keep, skip


class SentencePiece:
    def __init__(self, path):
        self.sp = sentencepiece.SentencePieceProcessor(model_file=path)

    def record(self, raw):
        text = as_text(raw)
        ids = self.sp.encode(text)
        ids_special = [self.sp.bos_id()] + ids  # add_bos_token (Llama's default)
        decoded = self.sp.decode(ids)
        # skip_special drops <s>; SentencePiece prints nothing for it either way.
        return ids, ids_special, decoded, self.sp.decode(ids_special)


def convert_stories260k(fixtures):
    """Llama-2-style tokenizer.json files from stories260k's tokenizer.model."""
    from transformers import AutoTokenizer  # only needed here

    folder = os.path.join(fixtures, "models", "stories260k")
    fast = AutoTokenizer.from_pretrained(folder)
    doc = json.loads(fast.backend_tokenizer.to_str())
    metaspace = os.path.join(DATA, "stories260k_metaspace.tokenizer.json")
    with open(metaspace, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    # The form Llama-2 repositories ship: spaces handled by normalizers, no pre-tokenizer.
    doc["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "\u2581"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
    doc["pre_tokenizer"] = None
    legacy = os.path.join(DATA, "stories260k_legacy.tokenizer.json")
    with open(legacy, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    return metaspace, legacy


def train_synthetic(corpus, wiki):
    """Small byte-level BPE files that exercise what the real ones do not: added-token
    options (lstrip, rstrip, single_word, normalized), ByteLevel's own regex and prefix
    space, Roberta/Template post-processors, Split behaviors and invert, Digits,
    Lowercase/NFKC/Strip/Replace normalizers. Trained here, committed, then frozen."""
    from tokenizers import AddedToken, decoders, models, normalizers, pre_tokenizers, processors, trainers

    texts = [as_text(b) for _, b in corpus[:40]] + [as_text(b) for b in wiki]
    base = Tokenizer(models.BPE())
    base.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=800, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    base.train_from_iterator(texts, trainer=trainer)
    base.decoder = decoders.ByteLevel()
    specials = [
        AddedToken("<s>", special=True, normalized=False),
        AddedToken("</s>", special=True, normalized=False),
        AddedToken("<mask>", special=True, lstrip=True, normalized=False),
        AddedToken("<r>", special=False, rstrip=True, normalized=False),
        AddedToken("[SW]", special=False, single_word=True, normalized=False),
        AddedToken("hello world", special=False, normalized=True),
        AddedToken("<both>", special=True, lstrip=True, rstrip=True, normalized=False),
    ]
    base.add_tokens(specials)

    out = {}
    # 1. GPT-2/RoBERTa style: ByteLevel regex + prefix space, lowercase+NFKC, Roberta.
    roberta = Tokenizer.from_str(base.to_str())
    roberta.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    roberta.post_processor = processors.RobertaProcessing(("</s>", roberta.token_to_id("</s>")),
                                                          ("<s>", roberta.token_to_id("<s>")))
    out["synthetic_roberta"] = roberta
    # 2. Split behaviors, invert, Digits, Strip/Replace(regex) normalizers, Template.
    split = Tokenizer.from_str(base.to_str())
    split.normalizer = normalizers.Sequence([
        normalizers.Strip(), normalizers.Replace(tokenizers.Regex(r" {2,}"), " "), normalizers.NFD()])
    split.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", behavior="merged_with_next"),
        pre_tokenizers.Split(tokenizers.Regex(r"[,.;:!?]"), behavior="merged_with_previous"),
        pre_tokenizers.Split(tokenizers.Regex(r"\p{L}+"), behavior="contiguous", invert=True),
        pre_tokenizers.Split(tokenizers.Regex(r"x+"), behavior="removed"),
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Split(tokenizers.Regex(r"'\w"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    split.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", split.token_to_id("<s>")),
                                              ("</s>", split.token_to_id("</s>"))])
    out["synthetic_split"] = split
    paths = {}
    for name, tok in out.items():
        path = os.path.join(DATA, f"{name}.tokenizer.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(json.loads(tok.to_str()), ensure_ascii=False, separators=(",", ":")))
        paths[name] = path
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "..", "shared", "fixtures"))
    ap.add_argument("--write-corpus", action="store_true")
    ap.add_argument("--retrain", action="store_true",
                    help="retrain the synthetic tokenizer.json files (else reuse the committed ones)")
    args = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    corpus_path = os.path.join(DATA, "corpus.json")
    if args.write_corpus:
        with open(corpus_path, "w") as f:
            json.dump(build_corpus(), f, indent=0)
    with open(corpus_path) as f:
        corpus = [(c["name"], base64.b64decode(c["base64"])) for c in json.load(f)]
    wiki = wikitext_lines(args.fixtures)
    # The first 200 lines as one text too (multi-line context, "\n\n" joins).
    wiki_joined = b"\n".join(wiki)

    metaspace, legacy = convert_stories260k(args.fixtures)
    synthetic = {n: os.path.join(DATA, f"{n}.tokenizer.json") for n in ("synthetic_roberta", "synthetic_split")}
    if args.retrain or not all(os.path.exists(p) for p in synthetic.values()):
        synthetic = train_synthetic(corpus, wiki)
    fx = args.fixtures
    tokenizers_under_test = {
        "qwen3": ("tokenizers/qwen3/tokenizer.json", HfJson(os.path.join(fx, "tokenizers/qwen3/tokenizer.json"))),
        "llama3": ("tokenizers/llama3/tokenizer.json", HfJson(os.path.join(fx, "tokenizers/llama3/tokenizer.json"))),
        "llama2_sp": ("tokenizers/llama2/tokenizer.model", SentencePiece(os.path.join(fx, "tokenizers/llama2/tokenizer.model"))),
        "stories260k_sp": ("models/stories260k/tokenizer.model", SentencePiece(os.path.join(fx, "models/stories260k/tokenizer.model"))),
        "stories260k_metaspace": ("data:stories260k_metaspace.tokenizer.json", HfJson(metaspace)),
        "stories260k_legacy": ("data:stories260k_legacy.tokenizer.json", HfJson(legacy)),
        "synthetic_roberta": ("data:synthetic_roberta.tokenizer.json", HfJson(synthetic["synthetic_roberta"])),
        "synthetic_split": ("data:synthetic_split.tokenizer.json", HfJson(synthetic["synthetic_split"])),
    }
    for name, (source, tok) in tokenizers_under_test.items():
        def entry(case_name, raw):
            ids, ids_special, keep, skip = tok.record(raw)
            text = as_text(raw)
            # Decoded text is stored only where it differs from the input (compact).
            # ids_special is null where adding special tokens changes nothing.
            return {"name": case_name, "ids": ids,
                    "ids_special": None if ids_special == ids else ids_special,
                    "decode": None if keep == text else keep,
                    "decode_skip": None if skip == text else skip}
        out = {
            "tokenizer": source,
            "generator": f"tokenizers {tokenizers.__version__}, sentencepiece {sentencepiece.__version__}",
            "cases": [entry(n, b) for n, b in corpus],
            "wikitext_lines": [entry(f"wikitext_{i}", b) for i, b in enumerate(wiki)],
            "wikitext_joined": entry("wikitext_joined", wiki_joined),
        }
        path = os.path.join(DATA, f"goldens_{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        print(f"{path}: {len(out['cases'])} cases, {len(out['wikitext_lines'])} wikitext lines",
              file=sys.stderr)


if __name__ == "__main__":
    main()
