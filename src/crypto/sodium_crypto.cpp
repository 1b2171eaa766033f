#include "crypto/sodium_crypto.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/text.hpp"

namespace hs::crypto {

Status InitCrypto() {
  if (sodium_init() < 0) return Internal("libsodium initialisation failed");
  return {};
}

namespace {
std::string ToBase64(std::string_view bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}
std::optional<std::string> FromBase64(std::string_view text, int variant) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \n\r", &len, nullptr, variant) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}
}  // namespace

Result<std::string> SodiumCrypto::HashPassword(const std::string& password) const {
  unsigned long long ops = crypto_pwhash_OPSLIMIT_MODERATE;
  std::size_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
  if (cost_ == PasswordCost::kInteractive) {
    ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  } else if (cost_ == PasswordCost::kMinimum) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool SodiumCrypto::VerifyPassword(const std::string& hash, const std::string& password) const {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string SodiumCrypto::RandomToken() const {
  unsigned char buf[32];
  randombytes_buf(buf, sizeof buf);
  return ToBase64(std::string_view(reinterpret_cast<char*>(buf), sizeof buf),
                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string SodiumCrypto::Sha256Hex(std::string_view bytes) const {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return HexEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

SecretBox::SecretBox(const std::string& key32) {
  key_ = static_cast<unsigned char*>(sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES));
  std::memcpy(key_, key32.data(), crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  sodium_mprotect_readonly(key_);
}

SecretBox::~SecretBox() {
  sodium_free(key_);
}

std::unique_ptr<SecretBox> SecretBox::FromKeyBytes(const std::string& key32) {
  return std::unique_ptr<SecretBox>(new SecretBox(key32));
}

Result<std::unique_ptr<SecretBox>> SecretBox::FromKeyFile(const std::string& key_file) {
  std::ifstream in(key_file);
  if (!in) {
    std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
    crypto_aead_xchacha20poly1305_ietf_keygen(reinterpret_cast<unsigned char*>(key.data()));
    const mode_t old = ::umask(077);
    std::ofstream out(key_file, std::ios::trunc);
    ::umask(old);
    if (!out) {
      return Fail(ErrorCode::kUnavailable, "key_file", "Cannot create key file " + key_file);
    }
    out << ToBase64(key, sodium_base64_VARIANT_ORIGINAL) << "\n";
    out.close();
    ::chmod(key_file.c_str(), 0600);
    return FromKeyBytes(key);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = FromBase64(Trim(ss.str()), sodium_base64_VARIANT_ORIGINAL);
  if (!key || key->size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return Fail(ErrorCode::kInvalidArgument, "key_file",
                "Key file " + key_file + " does not hold a base64 32-byte key");
  }
  return FromKeyBytes(*key);
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view ad) const {
  std::string buf(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(buf.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key_);
  buf.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clen);
  return "v1:" + ToBase64(buf, sodium_base64_VARIANT_ORIGINAL);
}

std::string SecretBox::KeyCheck() const {
  static constexpr std::string_view kConstant = "hundeschule secret key check v1";
  unsigned char mac[16];
  crypto_generichash(mac, sizeof mac, reinterpret_cast<const unsigned char*>(kConstant.data()),
                     kConstant.size(), key_, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  return "kc1:" + HexEncode(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
}

std::string SecretBox::Fingerprint(std::string_view secret, std::string_view owner) const {
  static_assert(crypto_kdf_KEYBYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  unsigned char subkey[crypto_generichash_KEYBYTES];
  crypto_kdf_derive_from_key(subkey, sizeof subkey, 1, "hs-tokfp", key_);
  crypto_generichash_state state;
  crypto_generichash_init(&state, subkey, sizeof subkey, crypto_generichash_BYTES);
  const unsigned char separator = 0;
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(owner.data()),
                            owner.size());
  crypto_generichash_update(&state, &separator, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                            secret.size());
  unsigned char mac[crypto_generichash_BYTES];
  crypto_generichash_final(&state, mac, sizeof mac);
  sodium_memzero(subkey, sizeof subkey);
  return "tf1:" + HexEncode(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view ad) const {
  auto fail = [] {
    return Fail(
        ErrorCode::kInternal, "secret_unreadable",
        "Ein gespeichertes Geheimnis kann nicht entschlüsselt werden (falscher Schlüssel?).");
  };
  if (sealed.substr(0, 3) != "v1:") return fail();
  auto raw = FromBase64(sealed.substr(3), sodium_base64_VARIANT_ORIGINAL);
  if (!raw || raw->size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return fail();
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  const std::size_t clen = raw->size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(clen, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &mlen, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, clen,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce, key_) != 0) {
    return fail();
  }
  out.resize(mlen);
  return out;
}

}  // namespace hs::crypto
