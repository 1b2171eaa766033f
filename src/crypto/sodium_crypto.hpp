#pragma once
// libsodium adapter: argon2id passwords, random tokens, sha256, and an AEAD for secrets at rest.
#include <memory>
#include <string>

#include "app/ports.hpp"

namespace hs::crypto {

enum class PasswordCost {
  kModerate,     // production: argon2id MODERATE limits
  kInteractive,  // demo
  kMinimum,      // tests and benchmarks only
};

// Must be called once before any other function (main does it).
Status InitCrypto();

class SodiumCrypto final : public app::Crypto {
 public:
  explicit SodiumCrypto(PasswordCost cost = PasswordCost::kModerate) : cost_(cost) {}
  Result<std::string> HashPassword(const std::string& password) const override;
  bool VerifyPassword(const std::string& hash, const std::string& password) const override;
  std::string RandomToken() const override;
  std::string Sha256Hex(std::string_view bytes) const override;

 private:
  PasswordCost cost_;
};

// XChaCha20-Poly1305 with a 32-byte master key; the associated data binds a ciphertext to its
// owner (the tenant id), so a ciphertext copied to another tenant does not decrypt.
class SecretBox final : public app::SecretSealer {
 public:
  // Loads a base64 key from `key_file`, creating it (mode 0600) with a fresh key when missing.
  static Result<std::unique_ptr<SecretBox>> FromKeyFile(const std::string& key_file);
  static std::unique_ptr<SecretBox> FromKeyBytes(const std::string& key32);
  ~SecretBox() override;
  // "v1:" + base64(nonce || ciphertext)
  std::string Seal(std::string_view plaintext, std::string_view associated_data) const override;
  Result<std::string> Open(std::string_view sealed,
                           std::string_view associated_data) const override;
  // "tf1:" + hex of a BLAKE2b of owner and secret, keyed with a subkey derived from the key.
  std::string Fingerprint(std::string_view secret, std::string_view owner) const override;
  // "kc1:" + hex of a keyed BLAKE2b of a constant: identifies the key without revealing it, so
  // that processes can tell at start whether they share the key the stored tokens need.
  std::string KeyCheck() const;

 private:
  explicit SecretBox(const std::string& key32);
  unsigned char* key_;
};

}  // namespace hs::crypto
