#include "app/crdt_command.hpp"

#include "base/base64.hpp"

#include "crdt/doc.hpp"
#include "crdt/lib0.hpp"
#include "crdt/readers.hpp"
#include "crdt/updates.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>

namespace agora::app {

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kBadInput = 2;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The caller passes a file and expects a clear message when it cannot be used.
struct InputError {
  std::string message;
};

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError{fmt::format("cannot read {}: no such file or not readable", path)};
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// A file of updates, each framed as varUint(length) + bytes.
std::vector<Bytes> read_framed_updates(const std::string& path) {
  const Bytes bytes = read_file(path);
  std::vector<Bytes> updates;
  crdt::Decoder decoder(bytes);
  try {
    while (!decoder.done()) {
      auto update = decoder.read_var_bytes();
      updates.emplace_back(update.begin(), update.end());
    }
  } catch (const crdt::DecodeError& e) {
    throw InputError{fmt::format(
        "{}: update {} is cut short at byte {} ({}); each update must be framed as a varUint "
        "length followed by that many bytes",
        path, updates.size() + 1, decoder.position(), e.what())};
  }
  return updates;
}

std::string base64(std::span<const std::uint8_t> bytes) { return base::to_base64(bytes); }

Bytes from_base64(std::string_view text, std::string_view what) {
  auto decoded = base::from_base64(text, what);
  if (!decoded) throw InputError{decoded.error().message};
  return std::move(*decoded);
}

crdt::Format format_of(bool v2) { return v2 ? crdt::Format::v2 : crdt::Format::v1; }

std::string gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw InputError{fmt::format("cannot read {}: no such file or not readable", path)};
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  const bool failed = n < 0;
  gzclose(file);
  if (failed) throw InputError{fmt::format("{} is not a readable gzip file", path)};
  return out;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double current_rss_mb() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

std::string number(double value) { return fmt::format("{:.3f}", value); }

// Code-point position -> UTF-16 index in `text`; direct while the text has no astral characters.
std::size_t utf16_index(const std::u16string& text, bool astral, std::size_t code_points) {
  if (!astral) return code_points;
  std::size_t i = 0;
  while (code_points > 0 && i < text.size()) {
    i += (text[i] >= 0xD800 && text[i] <= 0xDBFF) ? 2 : 1;
    --code_points;
  }
  return i;
}

// The roots the command line names, with the type each is read as, in the order given by kind.
using Roots = std::vector<std::pair<std::string, crdt::TypeKind>>;

void declare_roots(crdt::Doc& doc, const Roots& roots) {
  for (const auto& [name, kind] : roots) doc.root(name, kind);
}

// Each root as Yjs's toJSON() gives it (an XmlFragment's is its toString()).
std::string roots_json(crdt::Doc& doc, const Roots& roots) {
  std::string out = "{";
  for (const auto& [name, kind] : roots) {
    if (out.size() > 1) out += ',';
    out += boost::json::serialize(boost::json::value(name));
    out += ':';
    out += crdt::type_to_json(doc.root(name, kind));
  }
  return out + "}";
}

template <typename T>
T value_or_fail(crdt::Result<T> result, const std::string& what) {
  if (!result) throw InputError{fmt::format("{}: {}", what, result.error().message)};
  return std::move(*result);
}

std::vector<std::span<const std::uint8_t>> views_of(const std::vector<Bytes>& updates) {
  return {updates.begin(), updates.end()};
}

crdt::Result<Bytes> merge(const std::vector<Bytes>& updates, bool v2) {
  const auto views = views_of(updates);
  if (!v2) return crdt::merge_updates(views);
  auto merged = crdt::merge_updates_v2(views);
  if (!merged) return merged.error();
  return crdt::convert_update_v2_to_v1(*merged);
}

}  // namespace

CrdtCommand::CrdtCommand(CLI::App& app) {
  command_ = app.add_subcommand("crdt", "Apply, merge, diff and replay Yjs updates (for debugging documents)");
  command_->require_subcommand(1);
  const std::string framing =
      "FILE holds updates, each framed as a lib0 varUint byte length followed by the update";

  apply_ = command_->add_subcommand(
      "apply", "Apply each FILE's updates to a new document; print one JSON line per FILE. " + framing);
  apply_->add_flag("--v2", v2_, "The updates are in Yjs's v2 format");
  // One NAME per flag, so the FILEs that follow are not taken as more names.
  apply_->add_option("--text", texts_, "A root Text to print")->type_name("NAME")->allow_extra_args(false);
  apply_->add_option("--map", maps_, "A root Map to print")->type_name("NAME")->allow_extra_args(false);
  apply_->add_option("--array", arrays_, "A root Array to print")->type_name("NAME")->allow_extra_args(false);
  apply_->add_option("--xml", xmls_, "A root XmlFragment to print")->type_name("NAME")->allow_extra_args(false);
  apply_->add_option("FILE", files_, "Update files")->required();

  merge_ = command_->add_subcommand("merge", "Merge each FILE's updates without a document. " + framing);
  merge_->add_flag("--v2", v2_, "The updates are in Yjs's v2 format");
  merge_->add_option("FILE", files_, "Update files")->required();

  diff_ = command_->add_subcommand(
      "diff", "Merge each FILE's updates and print what a peer at --state-vector lacks. " + framing);
  diff_->add_flag("--v2", v2_, "The updates are in Yjs's v2 format");
  diff_->add_option("--state-vector", state_vector_, "The peer's state vector, base64")->required();
  diff_->add_option("FILE", files_, "Update files")->required();

  replay_ = command_->add_subcommand(
      "replay", "Replay an editing trace (../shared/traces format) as local edits and time it");
  replay_->add_option("--client-id", client_id_, "Client id of the editing document")->capture_default_str();
  replay_->add_flag("--print-state", print_state_, "Also print the final state (base64)");
  replay_->add_option("TRACE", trace_, "A .json.gz editing trace")->required();
}

bool CrdtCommand::parsed() const { return command_->parsed(); }

int CrdtCommand::run(std::ostream& out, std::ostream& err) const {
  try {
    if (apply_->parsed()) {
      Roots roots;
      for (const auto& name : texts_) roots.emplace_back(name, crdt::TypeKind::text);
      for (const auto& name : maps_) roots.emplace_back(name, crdt::TypeKind::map);
      for (const auto& name : arrays_) roots.emplace_back(name, crdt::TypeKind::array);
      for (const auto& name : xmls_) roots.emplace_back(name, crdt::TypeKind::xml_fragment);
      for (const std::string& file : files_) {
        const auto updates = read_framed_updates(file);
        crdt::Doc doc(0x5eed);
        // Declared before anything is applied, as a Yjs client that called getText() etc.
        // first: a Text's formatting cleanup after remote changes depends on it.
        declare_roots(doc, roots);
        const auto start = Clock::now();
        for (std::size_t i = 0; i < updates.size(); ++i) {
          auto applied = doc.apply_update(updates[i], format_of(v2_));
          if (!applied)
            throw InputError{fmt::format("{}: update {} was refused: {}", file, i + 1, applied.error().message)};
        }
        const double apply_ms = ms_since(start);
        const Bytes state = value_or_fail(doc.encode_state_as_update(), file);
        out << fmt::format(R"({{"apply_ms":{},"state":"{}","state_vector":"{}","roots":{}}})", number(apply_ms),
                           base64(state), base64(doc.encode_state_vector()), roots_json(doc, roots))
            << "\n";
      }
      return kOk;
    }
    if (merge_->parsed() || diff_->parsed()) {
      Bytes state_vector;
      if (diff_->parsed()) state_vector = from_base64(state_vector_, "--state-vector");
      for (const std::string& file : files_) {
        const auto updates = read_framed_updates(file);
        const auto start = Clock::now();
        Bytes merged = value_or_fail(merge(updates, v2_), file);
        const double merge_ms = ms_since(start);
        if (merge_->parsed()) {
          out << fmt::format(R"({{"merge_ms":{},"update":"{}"}})", number(merge_ms), base64(merged)) << "\n";
        } else {
          Bytes diff = value_or_fail(crdt::diff_update(merged, state_vector), file);
          out << fmt::format(R"({{"update":"{}"}})", base64(diff)) << "\n";
        }
      }
      return kOk;
    }
    // replay
    boost::json::value trace;
    try {
      trace = boost::json::parse(gunzip(trace_));
    } catch (const std::exception& e) {
      throw InputError{fmt::format("{} is not a JSON editing trace: {}", trace_, e.what())};
    }
    const auto* txns = trace.is_object() ? trace.as_object().if_contains("txns") : nullptr;
    const auto* end_content = trace.is_object() ? trace.as_object().if_contains("endContent") : nullptr;
    if (txns == nullptr || !txns->is_array() || end_content == nullptr || !end_content->is_string())
      throw InputError{fmt::format("{} lacks \"txns\" or \"endContent\"; see ../shared/traces/README.md", trace_)};

    // Decode patches before timing, so the figures measure the document, not JSON.
    struct Patch {
      std::size_t position, deleted;
      std::u16string inserted;
    };
    std::vector<Patch> patches;
    for (const auto& txn : txns->as_array()) {
      for (const auto& patch : txn.at("patches").as_array()) {
        const auto& p = patch.as_array();
        patches.push_back({static_cast<std::size_t>(p.at(0).to_number<std::int64_t>()),
                           static_cast<std::size_t>(p.at(1).to_number<std::int64_t>()),
                           crdt::to_utf16(std::string_view(p.at(2).as_string()))});
      }
    }

    crdt::Doc local(client_id_);
    crdt::Type& text = local.root("text", crdt::TypeKind::text);
    std::vector<Bytes> updates;
    updates.reserve(patches.size());
    std::u16string shadow;  // only kept up to date when astral characters make indexes differ
    bool astral = false;
    auto note_astral = [&](std::u16string_view inserted) {
      if (!astral)
        for (char16_t unit : inserted)
          if (unit >= 0xD800 && unit <= 0xDFFF) astral = true;
      if (astral) shadow = crdt::to_utf16(crdt::text_to_string(text));
    };
    // The starting text is one transaction of its own, before the timed edits.
    const auto* start_content = trace.as_object().if_contains("startContent");
    if (start_content != nullptr && start_content->is_string() && !start_content->as_string().empty()) {
      const std::u16string initial = crdt::to_utf16(std::string_view(start_content->as_string()));
      updates.push_back(local.transact([&](crdt::Transaction& t) { crdt::TextEditor::insert(t, text, 0, initial); }));
      note_astral(initial);
    }
    auto start = Clock::now();
    for (const Patch& patch : patches) {
      const std::size_t at = utf16_index(shadow, astral, patch.position);
      const std::size_t deleted = utf16_index(shadow, astral, patch.position + patch.deleted) - at;
      updates.push_back(local.transact([&](crdt::Transaction& t) {
        if (deleted > 0) crdt::TextEditor::erase(t, text, at, deleted);
        if (!patch.inserted.empty()) crdt::TextEditor::insert(t, text, at, patch.inserted);
      }));
      note_astral(patch.inserted);
    }
    const double local_ms = ms_since(start);
    if (crdt::text_to_string(text) != std::string_view(end_content->as_string())) {
      err << "agora crdt replay: the replayed text differs from the trace's endContent\n";
      return kFailed;
    }

    crdt::Doc remote(client_id_ + 1);
    start = Clock::now();
    for (const Bytes& update : updates) {
      if (update.empty()) continue;
      if (auto applied = remote.apply_update(update); !applied)
        throw InputError{"applying a replayed update failed: " + applied.error().message};
    }
    const double apply_remote_ms = ms_since(start);

    start = Clock::now();
    const Bytes state = value_or_fail(local.encode_state_as_update(), "encode");
    const double encode_ms = ms_since(start);
    const Bytes remote_state = value_or_fail(remote.encode_state_as_update(), "encode");
    if (remote_state != state) {
      err << "agora crdt replay: the document that applied the updates encodes differently from "
             "the one that made them\n";
      return kFailed;
    }

    const double rss_before_load = current_rss_mb();
    start = Clock::now();
    auto loaded = std::make_unique<crdt::Doc>(client_id_ + 2);
    if (auto applied = loaded->apply_update(state); !applied)
      throw InputError{"loading the encoded state failed: " + applied.error().message};
    const double load_ms = ms_since(start);
    const double loaded_doc_mb = current_rss_mb() - rss_before_load;
    loaded.reset();

    std::vector<Bytes> non_empty;
    for (Bytes& update : updates)
      if (!update.empty()) non_empty.push_back(std::move(update));
    start = Clock::now();
    const Bytes merged = value_or_fail(crdt::merge_updates(views_of(non_empty)), "merge");
    const double merge_ms = ms_since(start);
    crdt::Doc from_merged(client_id_ + 3);
    if (auto applied = from_merged.apply_update(merged); !applied ||
        crdt::text_to_string(from_merged.root("text", crdt::TypeKind::text)) != crdt::text_to_string(text)) {
      err << "agora crdt replay: the merged update does not reproduce the text\n";
      return kFailed;
    }

    out << fmt::format(
        R"({{"ops":{},"local_ms":{},"apply_remote_ms":{},"encode_ms":{},"load_ms":{},"merge_ms":{},"state_bytes":{},"loaded_doc_mb":{},"peak_rss_mb":{}{}}})",
        patches.size(), number(local_ms), number(apply_remote_ms), number(encode_ms), number(load_ms),
        number(merge_ms), state.size(), number(loaded_doc_mb), number(peak_rss_mb()),
        print_state_ ? fmt::format(R"(,"state":"{}")", base64(state)) : std::string())
        << "\n";
    return kOk;
  } catch (const InputError& e) {
    err << "agora crdt: " << e.message << "\n";
    return kBadInput;
  }
}

}  // namespace agora::app
