#include "crypto/sodium_crypto.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace hs::crypto {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto()); }
};

TEST_F(CryptoTest, PasswordsAreArgon2id) {
  SodiumCrypto c(PasswordCost::kMinimum);
  auto hash = c.HashPassword("geheimes Passwort");
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(c.VerifyPassword(*hash, "geheimes Passwort"));
  EXPECT_FALSE(c.VerifyPassword(*hash, "geheimes passwort"));
  EXPECT_FALSE(c.VerifyPassword("", "x"));
}

TEST_F(CryptoTest, TokensAreRandomAndHashesStable) {
  SodiumCrypto c(PasswordCost::kMinimum);
  EXPECT_NE(c.RandomToken(), c.RandomToken());
  EXPECT_EQ(c.RandomToken().size(), 43u);
  EXPECT_EQ(c.Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(CryptoTest, SecretBoxBindsTheOwner) {
  auto box = SecretBox::FromKeyBytes(std::string(32, 'k'));
  const std::string sealed = box->Seal("sevdesk-token-123", "tenant:1");
  EXPECT_EQ(sealed.find("sevdesk-token-123"), std::string::npos);
  EXPECT_EQ(box->Open(sealed, "tenant:1").value(), "sevdesk-token-123");
  EXPECT_FALSE(box->Open(sealed, "tenant:2"));
  auto other = SecretBox::FromKeyBytes(std::string(32, 'x'));
  EXPECT_FALSE(other->Open(sealed, "tenant:1"));
  EXPECT_FALSE(box->Open("v1:garbage", "tenant:1"));
}

TEST_F(CryptoTest, KeyCheckIdentifiesTheKeyWithoutRevealingIt) {
  auto box = SecretBox::FromKeyBytes(std::string(32, 'k'));
  const std::string check = box->KeyCheck();
  EXPECT_EQ(check.rfind("kc1:", 0), 0u) << check;
  EXPECT_EQ(check.size(), 4u + 32u);
  EXPECT_EQ(SecretBox::FromKeyBytes(std::string(32, 'k'))->KeyCheck(), check);
  EXPECT_NE(SecretBox::FromKeyBytes(std::string(32, 'x'))->KeyCheck(), check);
  EXPECT_EQ(check.find("6b6b6b6b"), std::string::npos);  // not the key ('k' = 0x6b) in hex
}

TEST_F(CryptoTest, TokenFingerprintsAreKeyedAndBoundToTheOwner) {
  SodiumCrypto c(PasswordCost::kMinimum);
  auto box = SecretBox::FromKeyBytes(std::string(32, 'k'));
  const std::string token = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
  const std::string fp = box->Fingerprint(token, "school:1");
  EXPECT_EQ(fp.rfind("tf1:", 0), 0u) << fp;
  EXPECT_EQ(fp.size(), 4u + 64u);
  // Stable for one key, owner and token ...
  EXPECT_EQ(SecretBox::FromKeyBytes(std::string(32, 'k'))->Fingerprint(token, "school:1"), fp);
  // ... but nobody without the key can compute it: not the plain SHA-256 of the token, and
  // another key, owner or token gives another value.
  EXPECT_EQ(fp.find(c.Sha256Hex(token)), std::string::npos);
  EXPECT_NE(SecretBox::FromKeyBytes(std::string(32, 'x'))->Fingerprint(token, "school:1"), fp);
  EXPECT_NE(box->Fingerprint(token, "school:2"), fp);
  EXPECT_NE(box->Fingerprint(token + "b", "school:1"), fp);
  // Owner and token are separated: ("school:1", "0...") is not ("school:10", "...").
  EXPECT_NE(box->Fingerprint("0" + token, "school:1"), box->Fingerprint(token, "school:10"));
  EXPECT_NE(box->KeyCheck().substr(4), fp.substr(4, 32));
}

TEST_F(CryptoTest, KeyFileIsCreatedPrivateAndReused) {
  const auto path =
      std::filesystem::temp_directory_path() / ("hs-key-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  auto first = SecretBox::FromKeyFile(path.string());
  ASSERT_TRUE(first);
  const auto perms = std::filesystem::status(path).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  const std::string sealed = (*first)->Seal("x", "a");
  auto second = SecretBox::FromKeyFile(path.string());
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)->Open(sealed, "a").value(), "x");
  std::ofstream(path) << "not a key";
  EXPECT_FALSE(SecretBox::FromKeyFile(path.string()));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hs::crypto
