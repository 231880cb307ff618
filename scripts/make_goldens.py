#!/usr/bin/env python3
"""Build tiny random HF checkpoints and dump fp32 reference activations for them.

Run once with each pinned transformers: 4.57 writes config.json the 4.x way (rope_theta +
rope_scaling, torch_dtype/dtype), 5.x the 5.x way (rope_parameters, dtype, layer_types).
  transformers 4.x: tests/data/models/{qwen3-tiny,llama-tiny,qwen2-tiny}/
  transformers 5.x: tests/data/models/{tf5-qwen3-yarn,tf5-llama-linear,tf5-qwen2}/
and tests/data/rope/transformers-<version>.json (RoPE tables, see write_rope_goldens).
Each model folder holds:
  config.json, generation_config.json, model.safetensors   (bf16 weights, via save_pretrained)
  golden.safetensors   fp32 activations computed by transformers (see tests/data/models/README.md)
  golden.json          prompt ids, 16 greedy ids, library versions

Deterministic: every random draw comes from a seeded torch.Generator on CPU, so running the
script again with the pinned versions (scripts/requirements-goldens.txt) rewrites the same
bytes. Run: /work/venv-goldens/bin/python scripts/make_goldens.py     (requirements-goldens.txt)
            /work/venv-goldens5/bin/python scripts/make_goldens.py    (requirements-goldens5.txt)
"""

import copy
import json
import math
import shutil
import struct
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
)
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

TF_MAJOR = int(transformers.__version__.split(".")[0])

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_ROOT = REPO_ROOT / "tests" / "data" / "models"

PROMPT_LEN = 12
NEW_TOKENS = 16
WEIGHT_STD = 0.2     # far above HF's 0.02: every weight moves the output, and greedy ids vary
NORM_STD = 0.1       # RMSNorm gains are 1 + NORM_STD * randn
BIAS_STD = 0.2       # q/k/v biases (Qwen2): large enough to change attention scores
EMBED_STD = 0.25     # embed_tokens / lm_head: spreads the logits so greedy picks are not near-ties
MIN_GREEDY_MARGIN = 0.05   # logits; see pick_prompt
MIN_DISTINCT_GREEDY = 6    # a continuation that repeats one token would not test the KV cache
MAX_PROMPT_DRAWS = 200
MAX_FOLDER_BYTES = 2 * 1024 * 1024

# Token ids used for bos/eos/pad. Greedy decoding must never produce EOS_ID (asserted), so
# generate() runs the full NEW_TOKENS steps without early stopping.
BOS_ID = 1
EOS_ID = 2


def qwen3_tiny():
    cfg = Qwen3Config(
        vocab_size=512,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,          # GQA 2:1
        head_dim=32,                    # != hidden/heads (16): q_proj is [128, 64]
        max_position_embeddings=256,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        attention_bias=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        dtype="bfloat16",
    )
    return cfg, Qwen3ForCausalLM


def llama_tiny():
    # head_dim 64 with rope_theta 5e5 gives wavelengths 2*pi*5e5^(2i/64) = 6.3, 9.5, 14.3 |
    # 21.5, 32.4, 48.8 | 73.6, ...; with original_max_position_embeddings 64 the llama3 band
    # edges are 64/4 = 16 and 64/1 = 64, so dims 0-2 keep their frequency, 3-5 are smoothed
    # and 6-31 are divided by the factor (checked in check_llama3_bands).
    cfg = LlamaConfig(
        vocab_size=512,
        hidden_size=128,
        intermediate_size=192,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,          # GQA 2:1
        head_dim=64,
        max_position_embeddings=256,
        rope_theta=500_000.0,
        rope_scaling={
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64,
        },
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        dtype="bfloat16",
    )
    return cfg, LlamaForCausalLM


def qwen2_tiny():
    # head_dim is not set: Qwen2 derives it as hidden/heads = 16.
    cfg = Qwen2Config(
        vocab_size=512,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,          # GQA 2:1
        max_position_embeddings=256,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=False,
        use_sliding_window=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        dtype="bfloat16",
    )
    return cfg, Qwen2ForCausalLM


def tf5_qwen3_yarn():
    # Qwen3's long-context setting (yarn), written by transformers 5 as rope_parameters.
    # original_max_position_embeddings 16 < the 28 positions of prompt + greedy ids, so the
    # goldens run on both sides of it. head_dim 32, theta 1e4: dim pairs 0-1 keep their
    # frequency, 2-4 are on the ramp, 5-15 are divided by 4; cos/sin carry the attention
    # factor 0.1 ln 4 + 1 = 1.1386.
    cfg = Qwen3Config(
        vocab_size=512,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=64,
        rope_parameters={"rope_type": "yarn", "rope_theta": 10_000.0, "factor": 4.0,
                         "original_max_position_embeddings": 16},
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        attention_bias=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        dtype="bfloat16",
    )
    return cfg, Qwen3ForCausalLM


def tf5_llama_linear():
    cfg = LlamaConfig(
        vocab_size=512,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=256,
        rope_parameters={"rope_type": "linear", "rope_theta": 500_000.0, "factor": 4.0},
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        dtype="bfloat16",
    )
    return cfg, LlamaForCausalLM


def tf5_qwen2():
    # Plain RoPE with theta 1e6 inside rope_parameters: the layout that gave wrong logits
    # (theta 10000) before llmrun read it.
    return qwen2_tiny()


MODELS_BY_MAJOR = {
    4: [
        # name, factory, seed
        ("qwen3-tiny", qwen3_tiny, 1001),
        ("llama-tiny", llama_tiny, 2002),
        ("qwen2-tiny", qwen2_tiny, 3003),
    ],
    5: [
        ("tf5-qwen3-yarn", tf5_qwen3_yarn, 4004),
        ("tf5-llama-linear", tf5_llama_linear, 5005),
        ("tf5-qwen2", tf5_qwen2, 6006),
    ],
}
MODELS = MODELS_BY_MAJOR[TF_MAJOR]


def randomize(model, gen):
    """Overwrite every parameter in named_parameters() order from `gen`."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if name.endswith("norm.weight"):
                p.copy_(1.0 + NORM_STD * noise)
            elif name.endswith(".bias"):
                p.copy_(BIAS_STD * noise)
            elif name in ("model.embed_tokens.weight", "lm_head.weight"):
                p.copy_(EMBED_STD * noise)
            else:
                p.copy_(WEIGHT_STD * noise)


def check_llama3_bands(cfg):
    """Print which rotary dims llama3 scaling keeps, smooths and divides; require all three."""
    default_inv, _ = ROPE_INIT_FUNCTIONS["default"](cfg, "cpu")
    scaled_inv, _ = ROPE_INIT_FUNCTIONS["llama3"](cfg, "cpu")
    rs = cfg.rope_scaling
    old_ctx = rs["original_max_position_embeddings"]
    high_wavelen = old_ctx / rs["high_freq_factor"]
    low_wavelen = old_ctx / rs["low_freq_factor"]
    bands = {"unchanged": [], "smoothed": [], "scaled": []}
    print(f"  llama3 bands: wavelen < {high_wavelen} unchanged, > {low_wavelen} divided by "
          f"{rs['factor']}, between smoothed")
    for i, (d, s) in enumerate(zip(default_inv.tolist(), scaled_inv.tolist())):
        wavelen = 2 * math.pi / d
        if wavelen < high_wavelen:
            band = "unchanged"
            assert s == d, (i, d, s)
        elif wavelen > low_wavelen:
            band = "scaled"
            assert math.isclose(s, d / rs["factor"], rel_tol=1e-6), (i, d, s)
        else:
            band = "smoothed"
            assert d / rs["factor"] < s < d, (i, d, s)
        bands[band].append(i)
        print(f"    dim pair {i:2d}: wavelen {wavelen:12.3f}  inv_freq {d:.6e} -> {s:.6e}  {band}")
    for band, dims in bands.items():
        print(f"  {band}: {dims}")
        assert dims, f"llama3 rope scaling: no dim in band {band}"
    return bands


def safetensors_dtypes(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return {k: v["dtype"] for k, v in header.items() if k != "__metadata__"}


def capture_activations(model, ids):
    """One eager fp32 forward over `ids` [1, T]; returns name -> [T, ...] fp32 tensors."""
    acts = {}
    hooks = []

    def keep(name):
        def hook(_module, _inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            acts[name] = out[0].detach().clone()
        return hook

    inner = model.model
    hooks.append(inner.embed_tokens.register_forward_hook(keep("embed")))
    for i, layer in enumerate(inner.layers):
        hooks.append(layer.register_forward_hook(keep(f"layer.{i}")))
    hooks.append(inner.norm.register_forward_hook(keep("final_norm")))
    try:
        with torch.no_grad():
            out = model(input_ids=ids, use_cache=False)
    finally:
        for h in hooks:
            h.remove()
    acts["logits"] = out.logits[0].detach().clone()
    return acts


def greedy_no_cache(model, prompt):
    """Greedy decoding that recomputes the whole sequence each step (no KV cache)."""
    ids = prompt.clone()
    new = []
    with torch.no_grad():
        for _ in range(NEW_TOKENS):
            logits = model(input_ids=ids, use_cache=False).logits[0, -1]
            nxt = int(torch.argmax(logits))
            new.append(nxt)
            ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    return new


def greedy_incremental(model, prompt):
    """Greedy decoding feeding one token per step through HF's own KV cache."""
    new = []
    step_logits = []
    with torch.no_grad():
        out = model(input_ids=prompt, use_cache=True)
        past = out.past_key_values
        logits = out.logits[0, -1]
        for _ in range(NEW_TOKENS):
            step_logits.append(logits.clone())
            nxt = int(torch.argmax(logits))
            new.append(nxt)
            out = model(input_ids=torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
            past = out.past_key_values
            logits = out.logits[0, -1]
    return new, torch.stack(step_logits)


def greedy_reference(model, prompt):
    """16 greedy ids from generate(), cross-checked without and with HF's KV cache.

    Returns (ids, logits [NEW_TOKENS, vocab]) where logits row k chose ids[k].
    """
    with torch.no_grad():
        gen_out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            do_sample=False,
            max_new_tokens=NEW_TOKENS,
            eos_token_id=EOS_ID,
            pad_token_id=EOS_ID,
        )
    greedy = gen_out[0, PROMPT_LEN:].tolist()
    assert len(greedy) == NEW_TOKENS and EOS_ID not in greedy, greedy
    assert greedy_no_cache(model, prompt) == greedy, "greedy without cache differs from generate"
    inc_ids, inc_logits = greedy_incremental(model, prompt)
    assert inc_ids == greedy, "greedy with HF KV cache differs from generate"

    # Logits that chose each greedy token, from one full (cache-free) forward over
    # prompt + greedy[:-1]; row 0 equals the last prompt row of `logits`.
    full = torch.cat([prompt, torch.tensor([greedy[:-1]])], dim=1)
    with torch.no_grad():
        greedy_logits = model(input_ids=full, use_cache=False).logits[0, PROMPT_LEN - 1:]
    assert torch.equal(greedy_logits.argmax(-1), torch.tensor(greedy))
    assert torch.isfinite(greedy_logits).all()
    inc_err = (inc_logits - greedy_logits).abs().max().item()
    assert inc_err < 1e-4, f"incremental vs full logits differ by {inc_err}"
    print(f"  incremental (KV cache) vs full-forward logits: max |diff| {inc_err:.2e}")
    return greedy, greedy_logits.contiguous()


def min_margin(logits):
    """Smallest top1 - top2 gap over the rows of logits [n, vocab]."""
    top2 = logits.topk(2, dim=-1).values
    return (top2[:, 0] - top2[:, 1]).min().item()


def pick_prompt(model, vocab_size, seed):
    """Draw prompts from a seeded sequence until every greedy step wins by MIN_GREEDY_MARGIN
    and the continuation has at least MIN_DISTINCT_GREEDY different tokens.

    A near-tie would let a correct runtime (different summation order, ~1e-5 logit error)
    pick another token; the margin keeps the greedy golden about the model, not rounding.
    Random tiny models like to lock onto one token; a varied continuation is what makes a
    wrong cache position or rotary offset show up in the ids.
    """
    for attempt in range(MAX_PROMPT_DRAWS):
        gen = torch.Generator().manual_seed(seed * 1000 + attempt)
        prompt = torch.randint(0, vocab_size, (1, PROMPT_LEN), generator=gen)
        greedy, greedy_logits = greedy_reference(model, prompt)
        margin = min_margin(greedy_logits)
        distinct = len(set(greedy))
        print(f"  prompt draw {attempt}: smallest top1-top2 margin {margin:.4f}, "
              f"{distinct} distinct greedy ids")
        if margin >= MIN_GREEDY_MARGIN and distinct >= MIN_DISTINCT_GREEDY:
            return prompt, greedy, greedy_logits, margin, attempt
    raise AssertionError(f"no prompt in {MAX_PROMPT_DRAWS} draws has margin {MIN_GREEDY_MARGIN} "
                         f"and {MIN_DISTINCT_GREEDY} distinct greedy ids")


def drop_qk_norm(model):
    for layer in model.model.layers:
        layer.self_attn.q_norm = torch.nn.Identity()
        layer.self_attn.k_norm = torch.nn.Identity()


def zero_qkv_bias(model):
    with torch.no_grad():
        for layer in model.model.layers:
            for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                proj.bias.zero_()


def unscaled_rope(model):
    default_inv, _ = ROPE_INIT_FUNCTIONS["default"](model.config, "cpu")
    model.model.rotary_emb.inv_freq = default_inv


def default_rope(model):
    """The model's rotary embedding recomputed as plain RoPE (no scaling, attention factor 1)."""
    rot = model.model.rotary_emb
    rot.inv_freq, _ = type(rot).compute_default_rope_parameters(model.config)
    rot.attention_scaling = 1.0


def no_attention_factor(model):
    model.model.rotary_emb.attention_scaling = 1.0


def theta_10000(model):
    rot = model.model.rotary_emb
    cfg = copy.deepcopy(model.config)
    cfg.rope_parameters["rope_theta"] = 10000.0
    rot.inv_freq, _ = type(rot).compute_default_rope_parameters(cfg)


def unit_final_norm(model):
    with torch.no_grad():
        model.model.norm.weight.fill_(1.0)


# Mistakes a runtime could make that the goldens must catch: each must move the logits.
SENSITIVITY = {
    "qwen3-tiny": [("no q_norm/k_norm", drop_qk_norm), ("final norm gain 1", unit_final_norm)],
    "llama-tiny": [("rope_scaling ignored", unscaled_rope), ("final norm gain 1", unit_final_norm)],
    "qwen2-tiny": [("q/k/v bias dropped", zero_qkv_bias), ("final norm gain 1", unit_final_norm)],
    "tf5-qwen3-yarn": [("yarn ignored", default_rope), ("yarn attention factor dropped", no_attention_factor)],
    "tf5-llama-linear": [("linear scaling ignored", default_rope)],
    "tf5-qwen2": [("rope_parameters ignored (theta 10000)", theta_10000)],
}
MIN_SENSITIVITY = 0.1   # max |logit change| a listed mistake must cause


def check_sensitivity(name, model, prompt, logits):
    for what, mutate in SENSITIVITY[name]:
        broken = copy.deepcopy(model)
        mutate(broken)
        with torch.no_grad():
            other = broken(input_ids=prompt, use_cache=False).logits[0]
        change = (other - logits).abs().max().item()
        print(f"  sensitivity: {what}: max |logit change| {change:.3f}")
        assert change > MIN_SENSITIVITY, f"{name}: {what} barely changes the logits"


def build(name, factory, seed):
    print(f"== {name}")
    out_dir = OUT_ROOT / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    cfg, cls = factory()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = cls(cfg).to(torch.float32)
    randomize(model, gen)
    if cfg.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()

    if name == "llama-tiny":
        check_llama3_bands(cfg)

    model.to(torch.bfloat16)
    model.save_pretrained(out_dir, safe_serialization=True)
    del model

    dtypes = safetensors_dtypes(out_dir / "model.safetensors")
    assert set(dtypes.values()) == {"BF16"}, dtypes
    assert ("lm_head.weight" in dtypes) == (not cfg.tie_word_embeddings), sorted(dtypes)
    saved_cfg = json.loads((out_dir / "config.json").read_text())
    assert saved_cfg.get("architectures") == [cls.__name__], saved_cfg.get("architectures")

    # Reload from disk so the reference sees exactly the bf16 weights, widened exactly to fp32.
    model = cls.from_pretrained(out_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    assert all(p.dtype == torch.float32 for p in model.parameters())

    prompt, greedy, greedy_logits, margin, draw = pick_prompt(model, cfg.vocab_size, seed)
    acts = capture_activations(model, prompt)
    for k, v in acts.items():
        assert v.dtype == torch.float32 and torch.isfinite(v).all(), k
    n_layers = cfg.num_hidden_layers
    # The hooks caught what the names say: embed is a plain row lookup, and final_norm is
    # RMSNorm of the last layer's output (so layer.{n-1} is the un-normed residual stream).
    assert torch.equal(acts["embed"], model.model.embed_tokens.weight[prompt[0]])
    last = acts[f"layer.{n_layers - 1}"]
    normed = last * torch.rsqrt(last.pow(2).mean(-1, keepdim=True) + cfg.rms_norm_eps)
    assert torch.allclose(normed * model.model.norm.weight, acts["final_norm"], atol=1e-5)
    assert sorted(acts) == sorted(["embed", "final_norm", "logits"] +
                                  [f"layer.{i}" for i in range(n_layers)])

    assert torch.allclose(acts["logits"][-1], greedy_logits[0], atol=1e-5)
    acts["greedy_logits"] = greedy_logits
    check_sensitivity(name, model, prompt, acts["logits"])

    max_logit = acts["logits"].abs().max().item()
    print(f"  prompt {prompt[0].tolist()}")
    print(f"  greedy {greedy}")
    print(f"  max |logit| {max_logit:.3f}, logit std {acts['logits'].std().item():.3f}, "
          f"smallest top1-top2 margin over greedy steps {margin:.4f}")
    assert max_logit > 1.0, "logits are degenerate"
    for k in sorted(acts):
        v = acts[k]
        print(f"  {k:14s} {list(v.shape)}  rms {v.pow(2).mean().sqrt().item():.4f}")

    save_file({k: v.contiguous() for k, v in sorted(acts.items())},
              str(out_dir / "golden.safetensors"))
    golden = {
        "prompt_ids": prompt[0].tolist(),
        "greedy_ids": greedy,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "notes": (
            "Random tiny checkpoint (weight seed %d, prompt draw %d) saved in bf16; "
            "references computed by "
            "transformers in fp32 (weights widened exactly from bf16), eager attention, CPU. "
            "greedy_ids are the %d new tokens after prompt_ids (do_sample=False; eos %d never "
            "produced), equal with and without HF's KV cache. Smallest top1-top2 logit margin "
            "over the greedy steps: %.4f." % (seed, draw, NEW_TOKENS, EOS_ID, margin)
        ),
    }
    # One key per line, id lists kept on one line each.
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in golden.items()]
    (out_dir / "golden.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")

    total = 0
    for f in sorted(out_dir.iterdir()):
        size = f.stat().st_size
        total += size
        print(f"  {f.name:24s} {size:9d} bytes")
    print(f"  total {total} bytes")
    assert total < MAX_FOLDER_BYTES, f"{name}: {total} bytes"


# RoPE tables: name, head_dim, max_position_embeddings, rope_theta, rope type and its keys.
ROPE_CASES = [
    ("default", 64, 4096, 1_000_000.0, None),
    ("linear", 64, 4096, 500_000.0, {"rope_type": "linear", "factor": 4.0}),
    ("dynamic", 64, 4096, 10_000.0, {"rope_type": "dynamic", "factor": 2.0}),
    ("llama3", 64, 131072, 500_000.0, {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
    ("yarn-qwen3", 128, 131072, 1_000_000.0, {"rope_type": "yarn", "factor": 4.0,
                                              "original_max_position_embeddings": 32768}),
    ("yarn-options", 64, 65536, 10_000.0, {"rope_type": "yarn", "factor": 8.0,
                                           "original_max_position_embeddings": 4096, "beta_fast": 16.0,
                                           "beta_slow": 2.0, "truncate": False, "attention_factor": 0.9}),
    ("yarn-mscale", 64, 65536, 10_000.0, {"rope_type": "yarn", "factor": 16.0,
                                          "original_max_position_embeddings": 4096, "mscale": 0.707,
                                          "mscale_all_dim": 1.0}),
    ("yarn-no-original", 64, 8192, 10_000.0, {"rope_type": "yarn", "factor": 2.0}),
]


def write_rope_goldens():
    """transformers' own rotary embedding (LlamaRotaryEmbedding; the Qwen/Mistral ones are
    the same code) for each ROPE_CASES entry: the config.json it is saved as, inv_freq, the
    attention scaling and cos/sin (first half of each head; the second repeats it) at
    positions near and far beyond original_max_position_embeddings, all below
    max_position_embeddings (llmrun's context limit; for dynamic RoPE the range where it is
    exact). Written to tests/data/rope/transformers-<version>.json."""
    cases = []
    for name, head_dim, max_pos, theta, scaling in ROPE_CASES:
        kwargs = dict(vocab_size=16, hidden_size=4 * head_dim, intermediate_size=8, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=4, head_dim=head_dim,
                      max_position_embeddings=max_pos)
        if TF_MAJOR >= 5:
            kwargs["rope_parameters"] = {"rope_type": "default", **(scaling or {}), "rope_theta": theta}
        else:
            kwargs.update(rope_theta=theta, rope_scaling=copy.deepcopy(scaling))
        cfg = LlamaConfig(**kwargs)
        cfg.architectures = ["LlamaForCausalLM"]
        rot = LlamaRotaryEmbedding(config=cfg)
        orig = (scaling or {}).get("original_max_position_embeddings", max_pos // 4)
        positions = sorted({p for p in [0, 1, 7, orig - 1, orig, orig + 1, 2 * orig, 3 * orig + 5, max_pos - 1]
                            if p < max_pos})
        with torch.no_grad():
            cos, sin = rot(torch.zeros(1, dtype=torch.float32), torch.tensor([positions]))
        half = head_dim // 2
        assert torch.equal(cos[0, :, :half], cos[0, :, half:])
        cases.append({
            "name": name,
            "config": json.loads(cfg.to_json_string(use_diff=True)),
            "positions": positions,
            "inv_freq": rot.inv_freq.tolist(),
            "attention_scaling": float(rot.attention_scaling),
            "cos": cos[0, :, :half].tolist(),
            "sin": sin[0, :, :half].tolist(),
        })
        print(f"  rope {name}: attention_scaling {float(rot.attention_scaling):.6f}, positions {positions}")
    out = REPO_ROOT / "tests" / "data" / "rope" / f"transformers-{transformers.__version__}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    golden = {"transformers": transformers.__version__, "torch": torch.__version__, "cases": cases}
    out.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"  wrote {out} ({out.stat().st_size} bytes)")


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    write_rope_goldens()
    for name, factory, seed in MODELS:
        build(name, factory, seed)


if __name__ == "__main__":
    main()
