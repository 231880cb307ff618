// The CUDA linear op (GEMV for 1..8 tokens, dequantize + GEMM beyond) and dequant_rows,
// against the CPU reference, for every weight format x every activation type. One source,
// two binaries: _host runs the kernels on the host harness, _gpu on a GPU (skips without).
//
// Reference: cpu::linear's scalar reference on the same HostWeight, fed x already rounded to
// Act, giving fp32 (not the SIMD kernels: their single-token int8 path rounds x to int16).
// Bound (conformance.h, dot_bound): two fp32 summation orders of the K products plus the
// bias (K + 1 terms) differ by at most 2 (K + 1) u32 sum|w x| + |bias|, and the CUDA result
// is rounded once to Act (u_act |ref|). A NaN or inf where the reference is finite fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cpu/cpu_tensor.h"
#include "kernels/cpu/linear.h"
#include "kernels/cuda/act_types.cuh"
#include "kernels/cuda/dequant_rows.cuh"
#include "kernels/cuda/device_weight.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/gemv.cuh"
#include "kernels/cuda/linear.cuh"
#include "kernels/cuda/weight_layout.h"
#include "kernels/quant/half.h"
#include "kernels/quant/weight_format.h"
#include "runtime/error.h"
#include "tests/cuda/act_test_support.h"
#include "tests/test_name.h"
#include "tests/cuda/conformance.h"
#include "tests/cuda/device_test.h"
#include "tests/cuda/host_codes.h"

namespace llmrun {
namespace {

namespace cu = ::llmrun::LLMRUN_CUDA_NS;
using llmrun::testing::ActType;


// W[rows, cols] of random normals (one all-zero row when rows > 2: scale 1, all codes 0),
// encoded by the format's codec as the loader does.
HostWeight random_weight(WeightFormat f, int64_t rows, int64_t cols, std::mt19937& rng) {
  const CodecRecord& c = codec(f);
  HostWeight w;
  w.name = std::string("test.") + c.name + ".weight";
  w.format = f;
  w.rows = rows;
  w.cols = cols;
  w.packed.resize(size_t(rows * c.row_bytes(cols)));
  w.scales.resize(size_t(rows));
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<float> src(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : src) v = rows > 2 && r == 1 ? 0.0f : normal(rng);
    c.encode_row(src.data(), cols, w.packed.data() + r * c.row_bytes(cols), &w.scales[size_t(r)]);
  }
  return w;
}

// W whose codes sweep the format: every finite code of fp8 / fp6 / int8 in every row (at
// shifting positions), random finite 16-bit codes, random fp32. Scales random.
HostWeight sweep_weight(WeightFormat f, int64_t rows, int64_t cols, bool finite_only, std::mt19937& rng) {
  const CodecRecord& c = codec(f);
  HostWeight w;
  w.name = std::string("sweep.") + c.name + ".weight";
  w.format = f;
  w.rows = rows;
  w.cols = cols;
  w.packed.assign(size_t(rows * c.row_bytes(cols)), 0);
  w.scales.assign(size_t(rows), 1.0f);
  const int64_t codes = int64_t(1) << std::min(c.bits, 16);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = w.packed.data() + r * c.row_bytes(cols);
    for (int64_t k = 0; k < cols; ++k) {
      uint32_t code = c.bits <= 8 ? uint32_t((k + 5 * r) % codes) : c.bits == 16 ? uint32_t((k + cols * r) % codes)
                                                                                 : uint32_t(rng());
      for (;;) {  // skip NaN / inf codes when asked (of the element format when grouped)
        const CodecRecord& e = codec(cuda_layout::geometry_of(f).codes);
        float v = 0.0f;
        std::vector<uint8_t> block(size_t(e.block_bytes), 0);
        for (size_t b = 0; b < block.size() && b < 4; ++b) block[b] = uint8_t(code >> (8 * b));
        e.decode_row(block.data(), 1.0f, 1, &v);
        if (!finite_only || std::isfinite(v)) break;
        code = c.bits == 32 ? uint32_t(rng()) : uint32_t((code + 1) % codes);
      }
      llmrun::testing::put_host_code(c, row, k, code);
    }
    // Small scales keep sums of 1024 products far inside fp16's range.
    if (c.scaled) w.scales[size_t(r)] = std::ldexp(1.0f + float(rng() % 1024) / 1024.0f, int(rng() % 4) - 8);
    for (int64_t g = 0; c.group_size > 0 && g * c.group_size < cols; ++g)
      llmrun::testing::put_group_scale(
          c, row, g, quant::f32_to_f16(std::ldexp(1.0f + float(rng() % 1024) / 1024.0f, int(rng() % 4) - 8)));
  }
  return w;
}


struct Rig {
  cu::OwnedStream stream;
  cu::GemmContext gemm;
  cu::LinearScratch scratch;
};

// One linear call on the device vs cpu::linear; returns the comparison.
template <typename Act>
::testing::AssertionResult check_linear(Rig& s, const HostWeight& host, int64_t n, bool with_bias,
                                        std::mt19937& rng) {
  const int64_t rows = host.rows, cols = host.cols;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * cols)), bias(static_cast<size_t>(rows));
  for (float& v : x) v = cu::to_f32(cu::from_f32<Act>(normal(rng)));  // what the device sees
  for (float& v : bias) v = normal(rng);

  // Reference.
  cpu::CpuWeight cw(host);
  HostWeight bias_host{"test.bias", WeightFormat::f32, 1, rows, {}, {1.0f}};
  bias_host.packed.resize(size_t(rows) * 4);
  std::memcpy(bias_host.packed.data(), bias.data(), bias_host.packed.size());
  cpu::CpuWeight cbias(bias_host);
  cpu::CpuTensor cx(n, cols), cout(n, rows);
  std::copy(x.begin(), x.end(), cx.data.begin());
  cpu::linear(cx, cw, with_bias ? &cbias : nullptr, cout, 1, cpu::KernelIsa::scalar);
  std::vector<float> ref(cout.data.begin(), cout.data.end());

  // Bound per output from sum |w x| over the decoded weights.
  const CodecRecord& c = codec(host.format);
  std::vector<float> wrow(static_cast<size_t>(cols));
  std::vector<double> bound(ref.size());
  for (int64_t r = 0; r < rows; ++r) {
    c.decode_row(host.packed.data() + r * c.row_bytes(cols), host.scales[size_t(r)], cols, wrow.data());
    for (int64_t t = 0; t < n; ++t) {
      double sum_abs = with_bias ? std::fabs(double(bias[size_t(r)])) : 0.0;
      for (int64_t k = 0; k < cols; ++k) sum_abs += std::fabs(double(wrow[size_t(k)]) * x[size_t(t * cols + k)]);
      bound[size_t(t * rows + r)] =
          llmrun::testing::dot_bound(cu::act_of<Act>(), ref[size_t(t * rows + r)], sum_abs, cols + 1);
    }
  }

  // Device.
  const cu::DeviceWeightStorage dw(cuda_layout::pack_for_device(host), s.stream.get());
  cu::DeviceBuffer<Act> dx(x.size(), "x"), dout(size_t(n * rows), "out");
  cu::DeviceBuffer<float> dbias(bias.size(), "bias");
  dx.upload(cu::to_act<Act>(x), s.stream.get());
  dbias.upload(bias, s.stream.get());
  s.scratch.reserve(cu::linear_scratch_bytes<Act>(dw.view(), n, s.gemm));
  cu::linear(dw.view(), dx.data(), n, with_bias ? dbias.data() : nullptr, dout.data(), s.scratch, s.gemm,
             s.stream.get());
  const std::vector<float> got = cu::to_float(dout.download(s.stream.get()));
  return llmrun::testing::all_within(got, ref, bound,
                                     std::string(c.name) + " act " + llmrun::testing::act_name(cu::act_of<Act>()) +
                                         " [" + std::to_string(rows) + "," + std::to_string(cols) + "] n=" +
                                         std::to_string(n) + (with_bias ? " +bias" : ""));
}

struct Shape {
  int64_t rows, cols;
  std::vector<int64_t> ns;  // <= 8: GEMV; more: prefill
};

// Odd sizes cross every tail: cols 3 / 769 / 5125 leave partial segments and 16-byte
// groups; rows 3 and 1 force split-K; 5125 rows leave a partial last warp and block.
const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {1, 64, {1, 2, 17}},   {3, 769, {1, 2, 3, 4, 5, 6, 7, 8, 17}}, {64, 5125, {1, 3, 8}}, {769, 3, {2, 8, 17}},
      {5125, 64, {1, 5}},    {130, 1024, {4, 64}},                    {769, 769, {1, 8}},
  };
  return s;
}

template <typename Act>
void run_grid(WeightFormat f) {
  Rig s;
  std::mt19937 rng(1234 + int(f));
  int case_index = 0;
  for (const Shape& shape : shapes()) {
    const HostWeight w = random_weight(f, shape.rows, shape.cols, rng);
    for (int64_t n : shape.ns) EXPECT_TRUE(check_linear<Act>(s, w, n, case_index++ % 2 == 1, rng));
  }
  // Every finite code of the 6- and 8-bit formats through the GEMV's and the prefill's
  // decoders (16-bit codes would overflow fp16 sums; dequant_rows covers all of them).
  if (codec(f).bits <= 8) {
    const HostWeight sweep = sweep_weight(f, 16, 1024, true, rng);
    for (int64_t n : {1, 3, 17}) EXPECT_TRUE(check_linear<Act>(s, sweep, n, n == 3, rng));
  }
}

class LinearCuda : public ::testing::TestWithParam<std::tuple<WeightFormat, ActType>> {};

TEST_P(LinearCuda, MatchesCpuReference) {
  LLMRUN_REQUIRE_DEVICE();
  const auto [format, act] = GetParam();
  if (act == ActType::f32) run_grid<float>(format);
  if (act == ActType::bf16) run_grid<cu::bf16_t>(format);
  if (act == ActType::f16) run_grid<cu::f16_t>(format);
}

// Every format with a device layout (test_dequant_numerics requires one of every format).
std::vector<WeightFormat> all_formats() {
  std::vector<WeightFormat> f;
  for (const CodecRecord* c : all_codecs())
    if (cuda_layout::has_device_layout(c->format)) f.push_back(c->format);
  return f;
}

INSTANTIATE_TEST_SUITE_P(EveryFormatAndActivation, LinearCuda,
                         ::testing::Combine(::testing::ValuesIn(all_formats()),
                                            ::testing::Values(ActType::f32, ActType::bf16, ActType::f16)),
                         [](const ::testing::TestParamInfo<LinearCuda::ParamType>& param) {
                           return llmrun::testing::test_name(std::string(codec(std::get<0>(param.param)).name) + "_" +
                                                             llmrun::testing::act_name(std::get<1>(param.param)));
                         });

// dequant_rows (the embedding gather) with the scale applied equals the codec's decode_row
// bit for bit, for every code of every format (NaN as NaN), through gathered, repeated and
// reversed ids; an id out of range gives NaN. On a GPU this is the check of the device-only
// decode instructions (cvt.rn.f16x2.e4m3x2, cvt.f32.f16, prmt, sub.f16x2) over all codes.
template <typename Out>
void check_dequant_rows_every_code(WeightFormat f) {
  const CodecRecord& c = codec(f);
  std::mt19937 rng(99);
  const int64_t rows = c.bits == 16 ? 256 : 64, cols = c.bits == 16 ? 256 : 259;  // 16-bit: all 65536 codes
  const HostWeight w = sweep_weight(f, rows, cols, false, rng);
  cu::OwnedStream stream;
  const cu::DeviceWeightStorage dw(cuda_layout::pack_for_device(w), stream.get());
  std::vector<int32_t> ids;
  for (int64_t r = rows - 1; r >= 0; --r) ids.push_back(int32_t(r));
  ids.push_back(0);
  ids.push_back(int32_t(rows));  // out of range
  const int64_t n = int64_t(ids.size()), ld = cols + 5;
  cu::DeviceBuffer<int32_t> dids(ids.size(), "ids");
  dids.upload(ids, stream.get());
  cu::DeviceBuffer<Out> dout(size_t(n * ld), "out");
  cu::dequant_rows(dw.view(), dids.data(), n, true, dout.data(), ld, stream.get());
  const std::vector<Out> got = dout.download(stream.get());
  std::vector<float> want(static_cast<size_t>(cols));
  for (int64_t i = 0; i < n; ++i) {
    const bool valid = ids[size_t(i)] < rows;
    if (valid)
      c.decode_row(w.packed.data() + ids[size_t(i)] * c.row_bytes(cols), w.scales[size_t(ids[size_t(i)])], cols,
                   want.data());
    for (int64_t k = 0; k < cols; ++k) {
      const float g = cu::to_f32(got[size_t(i * ld + k)]);
      const float e = valid ? cu::to_f32(cu::from_f32<Out>(want[size_t(k)])) : NAN;
      if (std::isnan(e)) {
        ASSERT_TRUE(std::isnan(g)) << c.name << " row " << ids[size_t(i)] << " col " << k;
      } else {
        ASSERT_EQ(quant::f32_bits(g), quant::f32_bits(e))
            << c.name << " row " << ids[size_t(i)] << " col " << k << ": got " << g << " want " << e;
      }
    }
  }
}

TEST(DequantRowsCuda, EveryCodeEqualsTheCodec) {
  LLMRUN_REQUIRE_DEVICE();
  for (WeightFormat f : all_formats()) {
    SCOPED_TRACE(codec(f).name);
    check_dequant_rows_every_code<float>(f);
    check_dequant_rows_every_code<cu::bf16_t>(f);
    check_dequant_rows_every_code<cu::f16_t>(f);
  }
}

TEST(LinearCudaPlan, SplitKWhenRowsAreFewAndNotOtherwise) {
  std::mt19937 rng(5);
  for (WeightFormat f : all_formats()) {
    const cuda_layout::DevicePackedWeight few = cuda_layout::pack_for_device(random_weight(f, 3, 5125, rng));
    const cuda_layout::DevicePackedWeight many = cuda_layout::pack_for_device(random_weight(f, 5125, 64, rng));
    auto view = [](const cuda_layout::DevicePackedWeight& d) {
      cu::DeviceWeight v;
      v.name = d.name.c_str();
      v.format = d.format;
      v.rows = d.rows, v.cols = d.cols, v.k_pad = d.k_pad, v.segments = d.segments, v.row_bytes = d.row_bytes;
      v.group_size = d.group_size, v.groups_per_row = d.groups_per_row;
      return v;
    };
    for (int64_t n = 1; n <= cu::kGemvMaxTokens; ++n) {
      const cu::GemvPlan a = cu::plan_gemv(view(few), n, 132), b = cu::plan_gemv(view(many), n, 132);
      // fp6 rows of 5125 codes are 3 warp steps: too short to split.
      if (!cuda_layout::is_fp6(f)) {
        EXPECT_GT(a.splits, 1) << codec(f).name << " n=" << n;
      }
      EXPECT_EQ(b.splits, 1) << codec(f).name << " n=" << n;
      EXPECT_GE(a.token_tile, n);
      EXPECT_GE(int64_t(a.splits) * a.segments_per_split, few.segments);
    }
  }
}

TEST(LinearCudaErrors, NameTheWeight) {
  LLMRUN_REQUIRE_DEVICE();
  std::mt19937 rng(6);
  Rig s;
  const HostWeight host = random_weight(WeightFormat::int8, 3, 5125, rng);
  const cu::DeviceWeightStorage dw(cuda_layout::pack_for_device(host), s.stream.get());
  cu::DeviceBuffer<float> x(5125), out(3);
  auto message = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  // Split-K needs scratch that was never reserved.
  EXPECT_NE(message([&] { cu::linear(dw.view(), x.data(), 1, nullptr, out.data(), s.scratch, s.gemm, s.stream.get()); })
                .find("test.int8-row.weight"),
            std::string::npos);
  EXPECT_NE(message([&] {
              cu::linear<float>(dw.view(), nullptr, 1, nullptr, out.data(), s.scratch, s.gemm, s.stream.get());
            }).find("null"),
            std::string::npos);
  EXPECT_NE(message([&] { cu::linear(dw.view(), x.data(), -1, nullptr, out.data(), s.scratch, s.gemm, s.stream.get()); })
                .find("test.int8-row.weight"),
            std::string::npos);
}

}  // namespace
}  // namespace llmrun
