#include "store/file_system.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <cerrno>
#include <cstring>
#include <utility>

namespace agora::store {
namespace {

Error os_error(std::string_view action, const std::filesystem::path& path, int error) {
  return fail(error == ENOENT ? ErrorKind::not_found : ErrorKind::io,
              fmt::format("cannot {} '{}': {}", action, path.string(), std::strerror(error)));
}

// A file descriptor closed on destruction.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const { return fd_; }
  /// Gives up ownership; the caller closes it.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

  Result<> append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return os_error("write", path_, errno);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  Result<> sync() override {
    if (::fsync(fd_.get()) != 0) return os_error("sync", path_, errno);
    return {};
  }

  Result<> close() override {
    if (::close(fd_.release()) != 0) return os_error("close", path_, errno);
    return {};
  }

 private:
  Descriptor fd_;
  std::filesystem::path path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> create_new(const std::filesystem::path& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return os_error("create", path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path));
  }

  Result<std::string> read(const std::filesystem::path& path) override {
    Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return os_error("open", path, errno);
    std::string contents;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return os_error("read", path, errno);
      if (n == 0) return contents;
      contents.append(buffer, static_cast<std::size_t>(n));
    }
  }

  Result<bool> exists(const std::filesystem::path& path) override {
    struct stat info;
    if (::stat(path.c_str(), &info) == 0) return true;
    if (errno == ENOENT) return false;
    return os_error("look up", path, errno);
  }

  Result<> rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return fail(ErrorKind::io, fmt::format("cannot rename '{}' to '{}': {}", from.string(),
                                             to.string(), std::strerror(errno)));
    }
    return {};
  }

  Result<> remove(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) != 0) return os_error("remove", path, errno);
    return {};
  }

  Result<bool> create_directories(const std::filesystem::path& path) override {
    std::error_code ec;
    const bool created = std::filesystem::create_directories(path, ec);
    if (ec) return os_error("create folder", path, ec.value());
    return created;
  }

  Result<> sync_directory(const std::filesystem::path& path) override {
    Descriptor fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return os_error("open folder", path, errno);
    if (::fsync(fd.get()) != 0) return os_error("sync folder", path, errno);
    return {};
  }
};

}  // namespace

FileSystem& posix_file_system() {
  static PosixFileSystem instance;
  return instance;
}

}  // namespace agora::store
