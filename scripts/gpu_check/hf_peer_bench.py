#!/usr/bin/env python3
"""The GPU check's peer row and torch fallback (scripts/gpu-check.sh, docs/GPU_CHECK.md).

Runs only on the GPU machine, with the torch/transformers found there; it measures a
peer, it never builds or tests llmrun.

  hf_peer_bench.py generate --model DIR --out peer.json [--prompt-len 128] [--gen-len 128]
                   [--prefill-len 512] [--reps 3] [--device cuda]
      HF transformers bf16 on the same checkpoint llmeval benchmarks: decode tok/s
      (generate() with greedy decoding and a fixed number of new tokens, after the prompt's
      own forward is taken out), prefill tok/s and time to first token of a prefill-len
      prompt (one forward), peak GPU memory. Medians of --reps after a warm-up.
  hf_peer_bench.py ceilings --out ceilings.json [--device cuda]
      Device-to-device copy GB/s (read + write) and bf16 matmul TFLOP/s through torch, for
      when bench_gpu_ceilings cannot run; same keys as its JSON.

Errors: one line on stderr, exit 1 (2 for bad arguments).
"""
import argparse
import json
import statistics
import sys
import time

# The random checkpoints llmeval writes carry "architectures" but no "model_type".
MODEL_TYPES = {
    "Qwen3ForCausalLM": "qwen3",
    "Qwen2ForCausalLM": "qwen2",
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "mistral",
}


def fail(message):
    print(f"hf_peer_bench: error: {message}", file=sys.stderr)
    sys.exit(1)


def import_torch():
    try:
        import torch  # noqa: PLC0415
    except ImportError as e:
        fail(f"torch is not installed here ({e})")
    return torch


def sync(torch, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(torch, device, fn):
    sync(torch, device)
    t0 = time.perf_counter()
    out = fn()
    sync(torch, device)
    return time.perf_counter() - t0, out


def load_model(model_dir, device):
    torch = import_torch()
    try:
        import transformers  # noqa: PLC0415
    except ImportError as e:
        fail(f"transformers is not installed here ({e})")
    with open(f"{model_dir}/config.json") as f:
        config_dict = json.load(f)
    model_type = config_dict.get("model_type")
    if not model_type:
        arch = (config_dict.get("architectures") or ["?"])[0]
        if arch not in MODEL_TYPES:
            fail(f"{model_dir}/config.json: architecture {arch} has no model_type mapping")
        model_type = MODEL_TYPES[arch]
    config_dict = {k: v for k, v in config_dict.items() if k != "model_type"}
    config = transformers.AutoConfig.for_model(model_type, **config_dict)
    kwargs = {"config": config}
    # transformers 5 names it dtype, 4.x torch_dtype.
    major = int(transformers.__version__.split(".")[0])
    kwargs["dtype" if major >= 5 else "torch_dtype"] = torch.bfloat16
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, **kwargs).to(device)
    model.eval()
    return torch, transformers, model, config


def run_generate(args):
    torch, transformers, model, config = load_model(args.model, args.device)
    gen = torch.Generator().manual_seed(1)
    vocab = config.vocab_size
    prompt = torch.randint(3, vocab, (1, args.prompt_len), generator=gen).to(args.device)
    prefill_prompt = torch.randint(3, vocab, (1, args.prefill_len), generator=gen).to(args.device)
    eos = config.eos_token_id

    def generate(n_new):
        return model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=n_new,
            min_new_tokens=n_new,
            do_sample=False,
            pad_token_id=eos if isinstance(eos, int) else (eos or [0])[0],
        )

    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    with torch.inference_mode():
        generate(args.gen_len)  # warm-up
        decode, prefill = [], []
        for _ in range(args.reps):
            t_one, _ = timed(torch, args.device, lambda: generate(1))
            t_all, out = timed(torch, args.device, lambda: generate(args.gen_len))
            if out.shape[1] != args.prompt_len + args.gen_len:
                fail(f"generate() gave {out.shape[1] - args.prompt_len} tokens, not {args.gen_len}")
            decode.append((args.gen_len - 1) / max(t_all - t_one, 1e-9))
        model(prefill_prompt)  # warm-up at this length
        for _ in range(args.reps):
            t, _ = timed(torch, args.device, lambda: model(prefill_prompt))
            prefill.append(t)
    result = {
        "engine": "transformers",
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "dtype": "bfloat16",
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
        "prompt_len": args.prompt_len,
        "gen_len": args.gen_len,
        "prefill_len": args.prefill_len,
        "reps": args.reps,
        "decode_tokens_per_second": statistics.median(decode),
        "prefill_tokens_per_second": args.prefill_len / statistics.median(prefill),
        "ttft_ms": statistics.median(prefill) * 1e3,
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if args.device.startswith("cuda") else None,
    }
    return result


def run_ceilings(args):
    torch = import_torch()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        fail("torch sees no CUDA device")
    n = 1 << 30
    src = torch.empty(n, dtype=torch.uint8, device=args.device).fill_(90)
    dst = torch.empty_like(src)

    def median_of(fn, reps):
        fn()
        trials = []
        for _ in range(5):
            t, _ = timed(torch, args.device, lambda: [fn() for _ in range(reps)])
            trials.append(t / reps)
        return statistics.median(trials)

    copy_s = median_of(lambda: dst.copy_(src), 10)
    del src, dst
    gen = torch.Generator(device=args.device).manual_seed(1)

    def gemm_rate(shapes, reps):
        mats = [(torch.rand(k, m, generator=gen, device=args.device, dtype=torch.bfloat16) * 2 - 1,
                 torch.rand(n_, k, generator=gen, device=args.device, dtype=torch.bfloat16) * 2 - 1)
                for m, n_, k in shapes]
        flops = sum(2 * m * n_ * k for m, n_, k in shapes)
        s = median_of(lambda: [x @ w for w, x in mats], reps)
        return flops / s / 1e12

    # m = output features, n = tokens, k = input features (Qwen3-4B layer at 512 tokens).
    layer = gemm_rate([(6144, 512, 2560), (2560, 512, 4096), (19456, 512, 2560), (2560, 512, 9728)], 20)
    peak = gemm_rate([(8192, 8192, 8192)], 5)
    return {
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
        "d2d_copy_gbps": 2 * n / copy_s / 1e9,
        "cublaslt_bf16_tflops": layer,
        "cublaslt_bf16_shape": "512 tokens x Qwen3-4B layer GEMMs (torch.matmul)",
        "cublaslt_bf16_peak_tflops": peak,
        "cublaslt_bf16_peak_shape": "8192x8192x8192 (torch.matmul)",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="HF transformers bf16 decode/prefill speed on a checkpoint")
    g.add_argument("--model", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--prompt-len", type=int, default=128)
    g.add_argument("--gen-len", type=int, default=128)
    g.add_argument("--prefill-len", type=int, default=512)
    g.add_argument("--reps", type=int, default=3)
    g.add_argument("--device", default="cuda")
    c = sub.add_parser("ceilings", help="copy bandwidth and bf16 matmul rate through torch")
    c.add_argument("--out", required=True)
    c.add_argument("--device", default="cuda")
    args = parser.parse_args()
    for name in ("prompt_len", "gen_len", "prefill_len", "reps"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    try:
        result = run_generate(args) if args.command == "generate" else run_ceilings(args)
    except SystemExit:
        raise
    except Exception as e:  # one line, whatever torch or transformers raised
        fail(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    text = json.dumps(result, indent=2) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
