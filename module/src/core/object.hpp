// SPDX-License-Identifier: Apache-2.0
// Token objects and the attribute rules of C_GetAttributeValue / C_FindObjects.
// Which attributes an object has is data (its attribute map); which of them can never be
// revealed is a table (kSensitiveAttributes in object.cpp). Objects are read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ias/apdu/bytes.hpp"
#include "ias/p11/pkcs11.hpp"

namespace ias::p11 {

using apdu::Bytes;
using apdu::ByteView;

// What the card needs to use a private key.
struct KeyBinding {
    CK_KEY_TYPE keyType = CKK_RSA;
    std::uint8_t keyReference = 0;   // card key reference (with bit 0x80: local)
    std::uint8_t signAlgRef = 0x02;  // MSE algorithm byte for INTERNAL AUTHENTICATE
    std::uint8_t decipherAlgRef = 0x1A;
    unsigned bits = 0;               // modulus bits / EC field bits
    bool canSign = false;
    bool canDecrypt = false;
    bool alwaysAuthenticate = false;
    std::size_t application = 0;     // the card application holding the key
    std::size_t pin = 0;             // 0: the user PIN; n: the token's key PIN n-1
    std::vector<unsigned> algorithms;  // TokenInfo entries the PrKDF names for it (algReference)
};

class Object {
public:
    Object(CK_OBJECT_HANDLE handle, CK_OBJECT_CLASS objectClass, bool isPrivate);

    CK_OBJECT_HANDLE handle() const { return handle_; }
    CK_OBJECT_CLASS objectClass() const { return class_; }
    bool isPrivate() const { return private_; }
    const std::optional<KeyBinding>& key() const { return key_; }
    void bindKey(const KeyBinding& k) { key_ = k; }

    void set(CK_ATTRIBUTE_TYPE type, Bytes value);
    void setBool(CK_ATTRIBUTE_TYPE type, bool value);
    void setUlong(CK_ATTRIBUTE_TYPE type, CK_ULONG value);
    void setString(CK_ATTRIBUTE_TYPE type, const std::string& value);
    const Bytes* find(CK_ATTRIBUTE_TYPE type) const;

    // One attribute of C_GetAttributeValue with the standard's rules: sensitive ->
    // CKR_ATTRIBUTE_SENSITIVE, absent -> CKR_ATTRIBUTE_TYPE_INVALID (both with
    // CK_UNAVAILABLE_INFORMATION), null pValue -> length only, short buffer ->
    // CKR_BUFFER_TOO_SMALL.
    CK_RV read(CK_ATTRIBUTE& attribute) const;

    // C_FindObjectsInit template match: every attribute present with equal bytes.
    bool matches(const CK_ATTRIBUTE* templ, CK_ULONG count) const;

private:
    CK_OBJECT_HANDLE handle_;
    CK_OBJECT_CLASS class_;
    bool private_;
    std::map<CK_ATTRIBUTE_TYPE, Bytes> attributes_;
    std::optional<KeyBinding> key_;
};

// True when `type` is never revealed for objects of `objectClass`.
bool isSensitiveAttribute(CK_OBJECT_CLASS objectClass, CK_ATTRIBUTE_TYPE type);

// Validates a template given by the application (pointers, lengths). Throws Error.
void checkTemplate(const CK_ATTRIBUTE* templ, CK_ULONG count);

}  // namespace ias::p11
