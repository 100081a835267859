#include "auth/passwords.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <cstring>

namespace agora::auth {

namespace {

void ensure_sodium() {
  // sodium_init is thread-safe and cheap after the first call; a failure leaves no safe way on.
  if (sodium_init() < 0) std::abort();
}

// libsodium wants the hash as a NUL-terminated string in a buffer of crypto_pwhash_STRBYTES.
bool copy_hash(std::string_view hash, std::array<char, crypto_pwhash_STRBYTES>& out) {
  if (hash.empty() || hash.size() >= out.size()) return false;
  if (hash.find('\0') != std::string_view::npos) return false;
  std::memcpy(out.data(), hash.data(), hash.size());
  out[hash.size()] = '\0';
  return true;
}

}  // namespace

Result<std::string> hash_password(std::string_view password) {
  if (password.empty()) return fail(ErrorKind::invalid_input, "the password is empty");
  if (password.size() > kMaxPasswordBytes) {
    return fail(ErrorKind::invalid_input, fmt::format("the password is {} bytes; the limit is {}",
                                                      password.size(), kMaxPasswordBytes));
  }
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), kPasswordOpsLimit,
                            kPasswordMemLimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(ErrorKind::unavailable,
                "could not hash the password: not enough memory (argon2id needs 64 MiB)");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (password.size() > kMaxPasswordBytes) return false;
  std::array<char, crypto_pwhash_STRBYTES> stored{};
  if (!copy_hash(hash, stored)) return false;
  // Only argon2id: an argon2i hash would verify too, but nothing here ever made one.
  if (std::strncmp(stored.data(), crypto_pwhash_argon2id_STRPREFIX,
                   std::strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0) {
    return false;
  }
  ensure_sodium();
  return crypto_pwhash_str_verify(stored.data(), password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view hash) {
  std::array<char, crypto_pwhash_STRBYTES> stored{};
  if (!copy_hash(hash, stored)) return true;
  if (std::strncmp(stored.data(), crypto_pwhash_argon2id_STRPREFIX,
                   std::strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0) {
    return true;
  }
  ensure_sodium();
  // 0: current settings; 1: other settings; -1: not a valid hash. Either of the last two
  // means hash again.
  return crypto_pwhash_argon2id_str_needs_rehash(stored.data(), kPasswordOpsLimit,
                                                 kPasswordMemLimit) != 0;
}

}  // namespace agora::auth
