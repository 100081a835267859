#include "store/blob_store.hpp"

#include "store/backend_test_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace agora::store {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

// sha256("hello")
constexpr std::string_view kHelloId =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

enum class Op { create, write, sync, close, rename, sync_directory };

// The real filesystem, except that the N-th call of one chosen operation fails; a failing write
// first writes half its data, as a full disk would.
class FaultyFileSystem final : public FileSystem {
 public:
  /// Makes the n-th call (counting from 1, from now) of `op` fail.
  void fail_nth(Op op, int n) {
    failing_ = op;
    countdown_ = n;
  }
  int calls(Op op) const { return calls_.contains(op) ? calls_.at(op) : 0; }

  Result<std::unique_ptr<WritableFile>> create_new(const std::filesystem::path& path) override {
    if (should_fail(Op::create)) return injected("create", path);
    auto file = real_.create_new(path);
    if (!file) return file.error();
    return std::unique_ptr<WritableFile>(std::make_unique<File>(std::move(*file), *this, path));
  }
  Result<std::string> read(const std::filesystem::path& path) override { return real_.read(path); }
  Result<bool> exists(const std::filesystem::path& path) override { return real_.exists(path); }
  Result<> rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (should_fail(Op::rename)) return injected("rename", from);
    return real_.rename(from, to);
  }
  Result<> remove(const std::filesystem::path& path) override { return real_.remove(path); }
  Result<bool> create_directories(const std::filesystem::path& path) override {
    return real_.create_directories(path);
  }
  Result<> sync_directory(const std::filesystem::path& path) override {
    if (should_fail(Op::sync_directory)) return injected("sync folder", path);
    return real_.sync_directory(path);
  }

 private:
  class File final : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> real, FaultyFileSystem& fs, std::filesystem::path path)
        : real_(std::move(real)), fs_(fs), path_(std::move(path)) {}
    Result<> append(std::string_view data) override {
      if (!fs_.should_fail(Op::write)) return real_->append(data);
      (void)real_->append(data.substr(0, data.size() / 2));
      return injected("write", path_);
    }
    Result<> sync() override {
      if (fs_.should_fail(Op::sync)) return injected("sync", path_);
      return real_->sync();
    }
    Result<> close() override {
      if (fs_.should_fail(Op::close)) return injected("close", path_);
      return real_->close();
    }

   private:
    std::unique_ptr<WritableFile> real_;
    FaultyFileSystem& fs_;
    std::filesystem::path path_;
  };

  static Error injected(std::string_view what, const std::filesystem::path& path) {
    return fail(ErrorKind::io, fmt::format("injected failure: {} {}", what, path.string()));
  }
  bool should_fail(Op op) {
    ++calls_[op];
    return op == failing_ && --countdown_ == 0;
  }

  FileSystem& real_ = posix_file_system();
  std::map<Op, int> calls_;
  Op failing_ = Op::create;
  int countdown_ = 0;
};

// Every file under `root` whose name marks it as a temp file.
std::vector<std::filesystem::path> temp_files(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(".tmp-")) found.push_back(entry.path());
  }
  return found;
}

TEST(BlobStoreTest, StoresUnderTheSha256OfTheBytes) {
  TempDir dir;
  auto store = BlobStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  auto id = store->put("hello");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, kHelloId);
  const auto file = dir.path() / "blobs" / "2c" / kHelloId.substr(2);
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
  EXPECT_EQ(store->get(*id).value(), "hello");
  EXPECT_TRUE(store->exists(*id).value());
  EXPECT_TRUE(temp_files(dir.path()).empty());
}

TEST(BlobStoreTest, BinaryAndEmptyBlobsRoundTrip) {
  TempDir dir;
  auto store = BlobStore::open(dir.path()).value();
  for (const std::string& bytes :
       {std::string(), std::string("\0\xff\0\x01", 4), std::string(1 << 20, '\x7f')}) {
    auto id = store.put(bytes);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(store.get(*id).value(), bytes);
  }
}

TEST(BlobStoreTest, PuttingTheSameBytesAgainWritesNothing) {
  TempDir dir;
  FaultyFileSystem fs;
  auto store = BlobStore::open(dir.path(), fs).value();
  ASSERT_EQ(store.put("same").value(), store.put("same").value());
  EXPECT_EQ(fs.calls(Op::create), 1);
  EXPECT_EQ(fs.calls(Op::write), 1);
}

TEST(BlobStoreTest, RemovedBlobIsGone) {
  TempDir dir;
  auto store = BlobStore::open(dir.path()).value();
  const std::string id = store.put("bye").value();
  ASSERT_TRUE(store.remove(id));
  EXPECT_FALSE(store.exists(id).value());
  EXPECT_EQ(store.get(id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store.remove(id).error().kind, ErrorKind::not_found);
}

TEST(BlobStoreTest, MissingBlobIsNotFound) {
  TempDir dir;
  auto store = BlobStore::open(dir.path()).value();
  auto got = store.get(kHelloId);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::not_found);
  EXPECT_THAT(got.error().message, HasSubstr(std::string(kHelloId)));
}

TEST(BlobStoreTest, IdsThatCouldEscapeTheFolderAreRefused) {
  TempDir dir;
  auto store = BlobStore::open(dir.path()).value();
  const std::string bad[] = {
      "",
      "../../etc/passwd",
      std::string(kHelloId.substr(1)),
      std::string(kHelloId) + "0",
      "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
      "2c/../../../../../../../../../../../../../../../../../../../../../../../../../etc",
      std::string(kHelloId.substr(0, 63)) + "/"};
  for (const std::string& id : bad) {
    EXPECT_EQ(store.get(id).error().kind, ErrorKind::invalid_input) << id;
    EXPECT_EQ(store.exists(id).error().kind, ErrorKind::invalid_input) << id;
    EXPECT_EQ(store.remove(id).error().kind, ErrorKind::invalid_input) << id;
  }
  EXPECT_TRUE(is_blob_id(kHelloId));
}

TEST(BlobStoreTest, ChangedFileIsReportedCorrupt) {
  TempDir dir;
  auto store = BlobStore::open(dir.path()).value();
  const std::string id = store.put("hello").value();
  std::ofstream(dir.path() / "blobs" / "2c" / id.substr(2)) << "jello";
  auto got = store.get(id);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::corrupt);
}

// SQLite's crash-test style: make each step of a write fail in turn, then check that no
// partial blob is visible, no temp file is left, the other writes landed, and a retry works.
TEST(BlobStoreTest, AFailureAtAnyStepLeavesNoPartialBlob) {
  const std::vector<std::string> blobs = {"first blob", "second blob", "third blob"};
  TempDir scratch;
  std::vector<std::string> expected_ids;
  for (const std::string& bytes : blobs) {
    expected_ids.push_back(BlobStore::open(scratch.path()).value().put(bytes).value());
  }

  for (Op op : {Op::create, Op::write, Op::sync, Op::close, Op::rename, Op::sync_directory}) {
    for (int n = 1; n <= static_cast<int>(blobs.size()); ++n) {
      SCOPED_TRACE(fmt::format("operation {} fails on call {}", static_cast<int>(op), n));
      TempDir dir;
      FaultyFileSystem fs;
      auto store = BlobStore::open(dir.path(), fs).value();
      fs.fail_nth(op, n);
      std::vector<Result<std::string>> ids;
      for (const std::string& bytes : blobs) ids.push_back(store.put(bytes));

      EXPECT_TRUE(temp_files(dir.path()).empty());
      EXPECT_EQ(std::count_if(ids.begin(), ids.end(), [](const auto& id) { return !id; }), 1);
      for (std::size_t i = 0; i < blobs.size(); ++i) {
        auto got = store.get(expected_ids[i]);
        if (ids[i]) {
          EXPECT_EQ(ids[i].value(), expected_ids[i]);
          EXPECT_EQ(got.value(), blobs[i]);
          continue;
        }
        EXPECT_EQ(ids[i].error().kind, ErrorKind::io);
        EXPECT_THAT(ids[i].error().message, HasSubstr("injected"));
        // Only a failed folder sync, after the rename, may leave the blob, and then all of it.
        if (got) {
          EXPECT_EQ(op, Op::sync_directory);
          EXPECT_EQ(*got, blobs[i]);
        } else {
          EXPECT_EQ(got.error().kind, ErrorKind::not_found);
        }
        EXPECT_EQ(store.put(blobs[i]).value(), expected_ids[i]);
        EXPECT_EQ(store.get(expected_ids[i]).value(), blobs[i]);
      }
    }
  }
}

}  // namespace
}  // namespace agora::store
