// Keeps llmrun_cuda_layout a valid library while its source list is being filled.
namespace llmrun::cuda_layout {
int layout_anchor() { return 0; }
}  // namespace llmrun::cuda_layout
