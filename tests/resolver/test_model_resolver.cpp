// --model resolution over a fake filesystem: folders, aliases, $LLMRUN_MODELS, ./models
// and a Hugging Face hub cache tree.
#include <filesystem>
#include <fstream>

#include "loaders/model_resolver.h"
#include "runtime/error.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;

class Resolver : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("llmrun_resolver_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path checkpoint(const fs::path& dir) {
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << "{}";
    return dir;
  }
  std::string error_of(const std::string& model, const ModelSearch& s) {
    try {
      resolve_model(model, s);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  fs::path root_;
};

TEST_F(Resolver, DirectoryIsUsedAsIs) {
  const fs::path dir = checkpoint(root_ / "m");
  EXPECT_EQ(resolve_model(dir.string(), {}), dir.string());
  fs::create_directories(root_ / "empty");
  EXPECT_NE(error_of((root_ / "empty").string(), {}).find("no config.json"), std::string::npos);
}

TEST_F(Resolver, AliasesMapToRepos) {
  EXPECT_EQ(alias_repo("qwen3-4b"), "Qwen/Qwen3-4B");
  EXPECT_EQ(alias_repo("Qwen3-0.6B"), "Qwen/Qwen3-0.6B");
  EXPECT_EQ(alias_repo("llama-3.2-1b"), "meta-llama/Llama-3.2-1B-Instruct");
  EXPECT_EQ(alias_repo("gpt-5"), "");
}

TEST_F(Resolver, ModelsRootsBeforeHubCache) {
  const fs::path a = checkpoint(root_ / "env" / "Qwen" / "Qwen3-4B");
  checkpoint(root_ / "hub" / "models--Qwen--Qwen3-4B" / "snapshots" / "abc");
  ModelSearch s{(root_ / "nothing").string() + ":" + (root_ / "env").string(), "", (root_ / "hub").string()};
  EXPECT_EQ(resolve_model("qwen3-4b", s), a.string());
  ModelSearch local{"", (root_ / "env").string(), ""};
  EXPECT_EQ(resolve_model("Qwen/Qwen3-4B", local), a.string());
}

TEST_F(Resolver, HubCacheSnapshotFollowsRefsMain) {
  const fs::path repo = root_ / "hub" / "models--Qwen--Qwen3-4B";
  checkpoint(repo / "snapshots" / "old");
  const fs::path current = checkpoint(repo / "snapshots" / "0123abcd");
  fs::create_directories(repo / "refs");
  std::ofstream(repo / "refs" / "main") << "0123abcd\n";
  ModelSearch s{"", "", (root_ / "hub").string()};
  EXPECT_EQ(resolve_model("qwen3-4b", s), current.string());
  EXPECT_EQ(resolve_model("Qwen/Qwen3-4B", s), current.string());
}

TEST_F(Resolver, NotFoundListsPlacesAndDownload) {
  ModelSearch s{(root_ / "env").string(), (root_ / "models").string(), (root_ / "hub").string()};
  const std::string e = error_of("qwen3-8b", s);
  EXPECT_NE(e.find((root_ / "env" / "Qwen" / "Qwen3-8B").string()), std::string::npos) << e;
  EXPECT_NE(e.find((root_ / "models" / "qwen3-8b").string()), std::string::npos) << e;
  EXPECT_NE(e.find("models--Qwen--Qwen3-8B/snapshots/*"), std::string::npos) << e;
  EXPECT_NE(e.find("huggingface-cli download Qwen/Qwen3-8B"), std::string::npos) << e;
}

}  // namespace
}  // namespace llmrun
