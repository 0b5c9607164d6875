// SPDX-License-Identifier: Apache-2.0
#include "object.hpp"

#include <algorithm>
#include <cstring>

#include "error.hpp"

namespace ias::p11 {

namespace {

// Private-key attributes a token never reveals (PKCS#11 v2.40 §4.9 / table 38).
constexpr CK_ATTRIBUTE_TYPE kSensitiveAttributes[] = {
    CKA_VALUE, CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
};

constexpr CK_ULONG kMaxTemplateAttributes = 1024;
constexpr CK_ULONG kMaxAttributeLength = 1 << 20;

}  // namespace

bool isSensitiveAttribute(CK_OBJECT_CLASS objectClass, CK_ATTRIBUTE_TYPE type) {
    if (objectClass != CKO_PRIVATE_KEY && objectClass != CKO_SECRET_KEY) return false;
    return std::find(std::begin(kSensitiveAttributes), std::end(kSensitiveAttributes), type) !=
           std::end(kSensitiveAttributes);
}

void checkTemplate(const CK_ATTRIBUTE* templ, CK_ULONG count) {
    require(templ != nullptr || count == 0, CKR_ARGUMENTS_BAD, "null template with a count");
    require(count <= kMaxTemplateAttributes, CKR_ARGUMENTS_BAD, "template too large");
    for (CK_ULONG i = 0; i < count; ++i) {
        require(templ[i].ulValueLen <= kMaxAttributeLength || templ[i].pValue == nullptr, CKR_ARGUMENTS_BAD,
                "attribute length out of range");
    }
}

Object::Object(CK_OBJECT_HANDLE handle, CK_OBJECT_CLASS objectClass, bool isPrivate)
    : handle_(handle), class_(objectClass), private_(isPrivate) {
    setUlong(CKA_CLASS, objectClass);
    setBool(CKA_TOKEN, true);
    setBool(CKA_PRIVATE, isPrivate);
    setBool(CKA_MODIFIABLE, false);
    setBool(CKA_COPYABLE, false);
    setBool(CKA_DESTROYABLE, false);
}

void Object::set(CK_ATTRIBUTE_TYPE type, Bytes value) { attributes_[type] = std::move(value); }

void Object::setBool(CK_ATTRIBUTE_TYPE type, bool value) { set(type, Bytes{static_cast<std::uint8_t>(value ? CK_TRUE : CK_FALSE)}); }

void Object::setUlong(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
    Bytes b(sizeof(CK_ULONG));
    std::memcpy(b.data(), &value, sizeof value);
    set(type, std::move(b));
}

void Object::setString(CK_ATTRIBUTE_TYPE type, const std::string& value) { set(type, Bytes(value.begin(), value.end())); }

const Bytes* Object::find(CK_ATTRIBUTE_TYPE type) const {
    const auto it = attributes_.find(type);
    return it == attributes_.end() ? nullptr : &it->second;
}

CK_RV Object::read(CK_ATTRIBUTE& a) const {
    if (isSensitiveAttribute(class_, a.type)) {
        a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_ATTRIBUTE_SENSITIVE;
    }
    const Bytes* value = find(a.type);
    if (value == nullptr) {
        a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    if (a.pValue == nullptr) {
        a.ulValueLen = value->size();
        return CKR_OK;
    }
    if (a.ulValueLen < value->size()) {
        a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (!value->empty()) std::memcpy(a.pValue, value->data(), value->size());
    a.ulValueLen = value->size();
    return CKR_OK;
}

bool Object::matches(const CK_ATTRIBUTE* templ, CK_ULONG count) const {
    for (CK_ULONG i = 0; i < count; ++i) {
        const CK_ATTRIBUTE& t = templ[i];
        if (isSensitiveAttribute(class_, t.type)) return false;
        const Bytes* value = find(t.type);
        if (value == nullptr || value->size() != t.ulValueLen) return false;
        if (t.ulValueLen != 0 && (t.pValue == nullptr || std::memcmp(value->data(), t.pValue, t.ulValueLen) != 0)) {
            return false;
        }
    }
    return true;
}

}  // namespace ias::p11
