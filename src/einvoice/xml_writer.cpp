#include "einvoice/xml_writer.hpp"

namespace hs::einvoice {

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        const bool forbidden = u < 0x20 && c != '\t' && c != '\n' && c != '\r';
        out += forbidden ? ' ' : c;
      }
    }
  }
  return out;
}

XmlWriter::XmlWriter() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

void XmlWriter::StartTag(std::string_view name, const XmlAttributes& attributes) {
  out_.append(open_.size() * 2, ' ');
  out_ += '<';
  out_ += name;
  for (const auto& [key, value] : attributes) {
    out_ += ' ' + key + "=\"" + XmlEscape(value) + '"';
  }
  out_ += '>';
}

void XmlWriter::Open(std::string_view name, const XmlAttributes& attributes) {
  StartTag(name, attributes);
  out_ += '\n';
  open_.emplace_back(name);
}

void XmlWriter::Close() {
  const std::string name = std::move(open_.back());
  open_.pop_back();
  out_.append(open_.size() * 2, ' ');
  out_ += "</" + name + ">\n";
}

void XmlWriter::Leaf(std::string_view name, std::string_view text,
                     const XmlAttributes& attributes) {
  StartTag(name, attributes);
  out_ += XmlEscape(text);
  out_ += "</";
  out_ += name;
  out_ += ">\n";
}

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

}  // namespace hs::einvoice
