#include "crdt/updates.hpp"

#include "crdt/structs.hpp"
#include "crdt/update_codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace agora::crdt {

namespace {

constexpr std::uint8_t kGcInfo = 0;
constexpr std::uint8_t kSkipInfo = 10;

// Merging Yjs's way costs about (readers x structs) comparisons; above this the merge keeps to
// the fast path even where the two could differ (a GC and an item at the same id, see MergeRun).
constexpr std::uint64_t kLiteralMergeBudget = 50'000'000;

template <typename Decoder>
DecodedUpdate decode_update(std::span<const std::uint8_t> bytes) {
  Decoder decoder(bytes);
  return read_update(decoder, bytes.size());
}

// Runs `body`, turning the exceptions malformed input can raise into an Error.
template <typename Body>
auto guarded(const char* what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const DecodeError& e) {
    return Error{std::string(what) + ": " + e.what()};
  } catch (const std::invalid_argument& e) {
    // The v2 encoder refuses delete sets it cannot represent (unsorted or empty ranges).
    return Error{std::string(what) + ": " + e.what()};
  } catch (const std::length_error& e) {
    return Error{std::string(what) + ": " + e.what()};
  }
}

// A run of clocks to write: a whole struct of an update, its tail, a GC grown by merging, or a
// Skip standing for a gap.
struct Piece {
  StructKind kind = StructKind::item;
  ClientId client = 0;
  Clock clock = 0;
  std::uint64_t length = 0;
  // The struct the piece comes from (items: written from clock - source->id.clock on).
  const DecodedStruct* source = nullptr;

  Clock end() const { return clock + length; }
};

Piece piece_of(const DecodedStruct& s) {
  return {s.kind, s.id.client, s.id.clock, s.length, &s};
}

// Collects pieces into client blocks as LazyStructWriter does: a new block whenever the client
// changes, even back to one written before.
class PieceWriter {
 public:
  void add(const Piece& piece) {
    if (blocks_.empty() || blocks_.back().client != piece.client)
      blocks_.push_back({piece.client, pieces_.size()});
    pieces_.push_back(piece);
  }

  void clear() {
    blocks_.clear();
    pieces_.clear();
  }

  void reserve(std::size_t pieces) { pieces_.reserve(pieces); }

  template <typename Encoder>
  void write(Encoder& encoder) const {
    encoder.rest().write_var_uint(blocks_.size());
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      const std::size_t first = blocks_[b].first;
      const std::size_t last = b + 1 < blocks_.size() ? blocks_[b + 1].first : pieces_.size();
      encoder.rest().write_var_uint(last - first);
      encoder.write_client(blocks_[b].client);
      encoder.rest().write_var_uint(pieces_[first].clock);
      for (std::size_t i = first; i < last; ++i) write_piece(encoder, pieces_[i]);
    }
  }

 private:
  struct Block {
    ClientId client;
    std::size_t first;
  };

  template <typename Encoder>
  static void write_piece(Encoder& encoder, const Piece& piece) {
    switch (piece.kind) {
      case StructKind::gc:
        encoder.write_info(kGcInfo);
        encoder.write_len(piece.length);
        return;
      case StructKind::skip:
        encoder.write_info(kSkipInfo);
        encoder.rest().write_var_uint(piece.length);
        return;
      case StructKind::item:
        piece.source->write(encoder, piece.clock - piece.source->id.clock);
        return;
    }
  }

  std::vector<Block> blocks_;
  std::vector<Piece> pieces_;
};

// ---------------------------------------------------------------------------------------------
// V8's Array.prototype.sort (TimSort, third_party/v8/builtins/array-sort.tq in V8 11.3). Yjs's
// merge comparator calls a GC and an item at the same id "less" in both orders, so which one
// wins depends on the exact comparisons V8 makes; this follows them one for one.

class V8TimSort {
 public:
  using Compare = int (*)(std::uint32_t, std::uint32_t, const void*);

  V8TimSort(std::vector<std::uint32_t>& values, Compare compare, const void* context)
      : work_(values), compare_(compare), context_(context) {}

  void sort() {
    const Index length = static_cast<Index>(work_.size());
    if (length < 2) return;
    Index remaining = length;
    Index low = 0;
    const Index min_run = min_run_length(remaining);
    while (remaining != 0) {
      Index run = count_and_make_run(low, low + remaining);
      if (run < min_run) {
        const Index forced = std::min(min_run, remaining);
        binary_insertion_sort(low, low + run, low + forced);
        run = forced;
      }
      runs_.push_back({low, run});
      merge_collapse();
      low += run;
      remaining -= run;
    }
    merge_force_collapse();
  }

 private:
  using Index = std::ptrdiff_t;
  struct Run {
    Index base;
    Index length;
  };
  static constexpr Index kMinGallopWins = 7;

  int compare(std::uint32_t x, std::uint32_t y) const { return compare_(x, y, context_); }

  static Index min_run_length(Index n) {
    Index r = 0;
    while (n >= 64) {
      r |= n & 1;
      n >>= 1;
    }
    return n + r;
  }

  // Both arrays may be the same; copies as if through a buffer (memmove).
  static void copy(const std::uint32_t* source, Index from, std::uint32_t* target, Index to,
                   Index length) {
    if (length > 0)
      std::memmove(target + to, source + from,
                   static_cast<std::size_t>(length) * sizeof(std::uint32_t));
  }

  void binary_insertion_sort(Index low, Index start, Index high) {
    if (start == low) ++start;
    for (; start < high; ++start) {
      Index left = low;
      Index right = start;
      const std::uint32_t pivot = work_[start];
      while (left < right) {
        const Index mid = left + ((right - left) >> 1);
        if (compare(pivot, work_[mid]) < 0) {
          right = mid;
        } else {
          left = mid + 1;
        }
      }
      for (Index p = start; p > left; --p) work_[p] = work_[p - 1];
      work_[left] = pivot;
    }
  }

  Index count_and_make_run(Index low_arg, Index high) {
    const Index low = low_arg + 1;
    if (low == high) return 1;
    Index run = 2;
    const bool descending = compare(work_[low], work_[low - 1]) < 0;
    std::uint32_t previous = work_[low];
    for (Index i = low + 1; i < high; ++i) {
      const std::uint32_t current = work_[i];
      const int order = compare(current, previous);
      if (descending ? order >= 0 : order < 0) break;
      previous = current;
      ++run;
    }
    if (descending) std::reverse(work_.begin() + low_arg, work_.begin() + low_arg + run);
    return run;
  }

  Index gallop_left(const std::uint32_t* array, std::uint32_t key, Index base, Index length,
                    Index hint) const {
    Index last = 0;
    Index offset = 1;
    if (compare(array[base + hint], key) < 0) {
      const Index max = length - hint;
      while (offset < max) {
        if (compare(array[base + hint + offset], key) >= 0) break;
        last = offset;
        offset = (offset << 1) + 1;
      }
      if (offset > max) offset = max;
      last += hint;
      offset += hint;
    } else {
      const Index max = hint + 1;
      while (offset < max) {
        if (compare(array[base + hint - offset], key) < 0) break;
        last = offset;
        offset = (offset << 1) + 1;
      }
      if (offset > max) offset = max;
      const Index tmp = last;
      last = hint - offset;
      offset = hint - tmp;
    }
    ++last;
    while (last < offset) {
      const Index m = last + ((offset - last) >> 1);
      if (compare(array[base + m], key) < 0) {
        last = m + 1;
      } else {
        offset = m;
      }
    }
    return offset;
  }

  Index gallop_right(const std::uint32_t* array, std::uint32_t key, Index base, Index length,
                     Index hint) const {
    Index last = 0;
    Index offset = 1;
    if (compare(key, array[base + hint]) < 0) {
      const Index max = hint + 1;
      while (offset < max) {
        if (compare(key, array[base + hint - offset]) >= 0) break;
        last = offset;
        offset = (offset << 1) + 1;
      }
      if (offset > max) offset = max;
      const Index tmp = last;
      last = hint - offset;
      offset = hint - tmp;
    } else {
      const Index max = length - hint;
      while (offset < max) {
        if (compare(key, array[base + hint + offset]) < 0) break;
        last = offset;
        offset = (offset << 1) + 1;
      }
      if (offset > max) offset = max;
      last += hint;
      offset += hint;
    }
    ++last;
    while (last < offset) {
      const Index m = last + ((offset - last) >> 1);
      if (compare(key, array[base + m]) < 0) {
        offset = m;
      } else {
        last = m + 1;
      }
    }
    return offset;
  }

  void merge_at(std::size_t i) {
    Index base_a = runs_[i].base;
    Index length_a = runs_[i].length;
    const Index base_b = runs_[i + 1].base;
    Index length_b = runs_[i + 1].length;
    runs_[i].length = length_a + length_b;
    runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(i) + 1);

    const Index k = gallop_right(work_.data(), work_[base_b], base_a, length_a, 0);
    base_a += k;
    length_a -= k;
    if (length_a == 0) return;
    length_b =
        gallop_left(work_.data(), work_[base_a + length_a - 1], base_b, length_b, length_b - 1);
    if (length_b == 0) return;
    if (length_a <= length_b) {
      merge_low(base_a, length_a, base_b, length_b);
    } else {
      merge_high(base_a, length_a, base_b, length_b);
    }
  }

  std::uint32_t* temp(Index size) {
    if (static_cast<Index>(temp_.size()) < size) temp_.resize(static_cast<std::size_t>(size));
    return temp_.data();
  }

  void merge_low(Index base_a, Index length_a, Index base_b, Index length_b) {
    std::uint32_t* work = work_.data();
    std::uint32_t* tmp = temp(length_a);
    copy(work, base_a, tmp, 0, length_a);
    Index dest = base_a;
    Index cursor_temp = 0;
    Index cursor_b = base_b;
    work[dest++] = work[cursor_b++];

    // The exits of TimSort's merge: everything merged, or only A's last element is left.
    enum class Exit { succeed, copy_b };
    const Exit exit = [&] {
      if (--length_b == 0) return Exit::succeed;
      if (length_a == 1) return Exit::copy_b;
      Index min_gallop = min_gallop_;
      while (true) {
        Index wins_a = 0;
        Index wins_b = 0;
        while (true) {
          if (compare(work[cursor_b], tmp[cursor_temp]) < 0) {
            work[dest++] = work[cursor_b++];
            ++wins_b;
            --length_b;
            wins_a = 0;
            if (length_b == 0) return Exit::succeed;
            if (wins_b >= min_gallop) break;
          } else {
            work[dest++] = tmp[cursor_temp++];
            ++wins_a;
            --length_a;
            wins_b = 0;
            if (length_a == 1) return Exit::copy_b;
            if (wins_a >= min_gallop) break;
          }
        }
        ++min_gallop;
        bool first = true;
        while (wins_a >= kMinGallopWins || wins_b >= kMinGallopWins || first) {
          first = false;
          min_gallop = std::max<Index>(1, min_gallop - 1);
          min_gallop_ = min_gallop;
          wins_a = gallop_right(tmp, work[cursor_b], cursor_temp, length_a, 0);
          if (wins_a > 0) {
            copy(tmp, cursor_temp, work, dest, wins_a);
            dest += wins_a;
            cursor_temp += wins_a;
            length_a -= wins_a;
            if (length_a == 1) return Exit::copy_b;
            if (length_a == 0) return Exit::succeed;
          }
          work[dest++] = work[cursor_b++];
          if (--length_b == 0) return Exit::succeed;
          wins_b = gallop_left(work, tmp[cursor_temp], cursor_b, length_b, 0);
          if (wins_b > 0) {
            copy(work, cursor_b, work, dest, wins_b);
            dest += wins_b;
            cursor_b += wins_b;
            length_b -= wins_b;
            if (length_b == 0) return Exit::succeed;
          }
          work[dest++] = tmp[cursor_temp++];
          if (--length_a == 1) return Exit::copy_b;
        }
        ++min_gallop;
        min_gallop_ = min_gallop;
      }
    }();
    if (exit == Exit::succeed) {
      if (length_a > 0) copy(tmp, cursor_temp, work, dest, length_a);
    } else {
      copy(work, cursor_b, work, dest, length_b);
      work[dest + length_b] = tmp[cursor_temp];
    }
  }

  void merge_high(Index base_a, Index length_a, Index base_b, Index length_b) {
    std::uint32_t* work = work_.data();
    std::uint32_t* tmp = temp(length_b);
    copy(work, base_b, tmp, 0, length_b);
    Index dest = base_b + length_b - 1;
    Index cursor_temp = length_b - 1;
    Index cursor_a = base_a + length_a - 1;
    work[dest--] = work[cursor_a--];

    enum class Exit { succeed, copy_a };
    const Exit exit = [&] {
      if (--length_a == 0) return Exit::succeed;
      if (length_b == 1) return Exit::copy_a;
      Index min_gallop = min_gallop_;
      while (true) {
        Index wins_a = 0;
        Index wins_b = 0;
        while (true) {
          if (compare(tmp[cursor_temp], work[cursor_a]) < 0) {
            work[dest--] = work[cursor_a--];
            ++wins_a;
            --length_a;
            wins_b = 0;
            if (length_a == 0) return Exit::succeed;
            if (wins_a >= min_gallop) break;
          } else {
            work[dest--] = tmp[cursor_temp--];
            ++wins_b;
            --length_b;
            wins_a = 0;
            if (length_b == 1) return Exit::copy_a;
            if (wins_b >= min_gallop) break;
          }
        }
        ++min_gallop;
        bool first = true;
        while (wins_a >= kMinGallopWins || wins_b >= kMinGallopWins || first) {
          first = false;
          min_gallop = std::max<Index>(1, min_gallop - 1);
          min_gallop_ = min_gallop;
          Index k = gallop_right(work, tmp[cursor_temp], base_a, length_a, length_a - 1);
          wins_a = length_a - k;
          if (wins_a > 0) {
            dest -= wins_a;
            cursor_a -= wins_a;
            copy(work, cursor_a + 1, work, dest + 1, wins_a);
            length_a -= wins_a;
            if (length_a == 0) return Exit::succeed;
          }
          work[dest--] = tmp[cursor_temp--];
          if (--length_b == 1) return Exit::copy_a;
          k = gallop_left(tmp, work[cursor_a], 0, length_b, length_b - 1);
          wins_b = length_b - k;
          if (wins_b > 0) {
            dest -= wins_b;
            cursor_temp -= wins_b;
            copy(tmp, cursor_temp + 1, work, dest + 1, wins_b);
            length_b -= wins_b;
            if (length_b == 1) return Exit::copy_a;
            if (length_b == 0) return Exit::succeed;
          }
          work[dest--] = work[cursor_a--];
          if (--length_a == 0) return Exit::succeed;
        }
        ++min_gallop;
        min_gallop_ = min_gallop;
      }
    }();
    if (exit == Exit::succeed) {
      if (length_b > 0) copy(tmp, 0, work, dest - (length_b - 1), length_b);
    } else {
      dest -= length_a;
      cursor_a -= length_a;
      copy(work, cursor_a + 1, work, dest + 1, length_a);
      work[dest] = tmp[cursor_temp];
    }
  }

  // Whether run n - 2 is longer than runs n - 1 and n together.
  bool invariant_holds(Index n) const {
    if (n < 2) return true;
    return runs_[n - 2].length > runs_[n - 1].length + runs_[n].length;
  }

  void merge_collapse() {
    while (runs_.size() > 1) {
      Index n = static_cast<Index>(runs_.size()) - 2;
      if (!invariant_holds(n + 1) || !invariant_holds(n)) {
        if (runs_[n - 1].length < runs_[n + 1].length) --n;
        merge_at(static_cast<std::size_t>(n));
      } else if (runs_[n].length <= runs_[n + 1].length) {
        merge_at(static_cast<std::size_t>(n));
      } else {
        break;
      }
    }
  }

  void merge_force_collapse() {
    while (runs_.size() > 1) {
      Index n = static_cast<Index>(runs_.size()) - 2;
      if (n > 0 && runs_[n - 1].length < runs_[n + 1].length) --n;
      merge_at(static_cast<std::size_t>(n));
    }
  }

  std::vector<std::uint32_t>& work_;
  Compare compare_;
  const void* context_;
  std::vector<std::uint32_t> temp_;
  std::vector<Run> runs_;
  Index min_gallop_ = kMinGallopWins;
};

// ---------------------------------------------------------------------------------------------
// mergeUpdatesV2. Yjs keeps one reader per update, sorts the readers by their current struct
// (client descending, clock ascending) before every step and lets the first one advance. Only
// the first reader moves in a step and the sort is stable, so a reader that moved goes before
// the readers whose struct has the same id, and readers that never moved keep the order of
// their updates. MergeRun takes the same steps without sorting: readers that never moved wait
// in one array sorted once, readers that moved in a heap, and the front is the first of the two.
//
// The one thing this cannot follow: Yjs's comparator says "less" in both directions for a GC
// and an item at the same id, and then the order depends on the comparisons V8's sort makes.
// When such a tie comes first, the merge starts over with Yjs's loop and V8's sort, if that is
// affordable.

// The structs the readers of mergeUpdatesV2 see (Skips dropped), update by update, and the
// delete sets of all updates gathered per client. Structs live in chunks so they never move;
// the updates' own containers are freed as soon as they are read.
struct MergeInput {
  std::vector<std::vector<DecodedStruct>> chunks;
  std::vector<const DecodedStruct*> structs;
  // Reader r reads structs[reader_ends[r - 1] .. reader_ends[r]).
  std::vector<std::uint32_t> reader_ends;
  DeleteSet deletes;
  bool has_gc = false;
  // Structs the remaining updates may still hold. v2's run-length columns let a few bytes claim
  // many structs; the per-update limit alone would allow 1024 per update however small.
  std::uint64_t struct_budget = 0;

  explicit MergeInput(std::span<const std::span<const std::uint8_t>> updates) {
    std::size_t total_size = 0;
    for (const auto& update : updates) total_size += update.size();
    struct_budget = max_structs_for(total_size);
    structs.reserve(updates.size());
    reader_ends.reserve(updates.size());
  }

  template <typename Decoder>
  void add(std::span<const std::uint8_t> update) {
    constexpr std::size_t kChunk = 4096;
    Decoder decoder(update);
    std::vector<ClientStructs> blocks = read_client_structs(
        decoder, std::min<std::uint64_t>(max_structs_for(update.size()), struct_budget));
    const DeleteSet set = DeleteSet::read(decoder);
    for (ClientStructs& block : blocks) {
      struct_budget -= block.structs.size();
      for (DecodedStruct& s : block.structs) {
        if (s.kind == StructKind::skip) continue;
        if (s.kind == StructKind::gc) has_gc = true;
        if (chunks.empty() || chunks.back().size() == kChunk) chunks.emplace_back().reserve(kChunk);
        structs.push_back(&chunks.back().emplace_back(std::move(s)));
      }
    }
    if (structs.size() > std::numeric_limits<std::uint32_t>::max())
      throw DecodeError("the updates hold more than 2^32 structs");
    reader_ends.push_back(static_cast<std::uint32_t>(structs.size()));
    for (const auto& [client, ranges] : set.clients) {
      auto& merged = deletes.clients[client];
      merged.insert(merged.end(), ranges.begin(), ranges.end());
    }
  }
};

class MergeRun {
 public:
  explicit MergeRun(const MergeInput& input) : structs_(input.structs), has_gc_(input.has_gc) {
    readers_.reserve(input.reader_ends.size());
    std::uint32_t first = 0;
    for (const std::uint32_t end : input.reader_ends) {
      readers_.push_back({first, first, end});
      first = end;
    }
  }

  std::uint64_t literal_cost() const {
    return static_cast<std::uint64_t>(readers_.size()) * (structs_.size() + 1);
  }

  // Returns false, having stopped, when `stop_at_ties` is set and it met a tie between a GC and
  // an item that only V8's sort decides.
  bool run_fast(bool stop_at_ties) {
    reset();
    stop_at_ties = stop_at_ties && has_gc_;
    waiting_.clear();
    waiting_.reserve(readers_.size());
    for (std::uint32_t r = 0; r < readers_.size(); ++r)
      if (!done(r)) waiting_.push_back(entry_of(r, r));
    // Updates of one client arrive in clock order more often than not.
    if (!std::is_sorted(waiting_.begin(), waiting_.end(), before))
      std::sort(waiting_.begin(), waiting_.end(), before);
    if (stop_at_ties) index_waiting_ties();
    heap_.clear();
    heap_ties_.clear();
    std::size_t next_waiting = 0;
    std::int64_t sequence = 0;
    while (true) {
      bool from_heap = false;
      if (heap_.empty()) {
        if (next_waiting == waiting_.size()) break;
      } else {
        from_heap = next_waiting == waiting_.size() || before(heap_[0], waiting_[next_waiting]);
      }
      const Entry& front = from_heap ? heap_[0] : waiting_[next_waiting];
      if (stop_at_ties && tie_at(front, next_waiting)) return false;
      const std::uint32_t r = front.reader;
      step(r);
      if (from_heap) {
        if (stop_at_ties) count_tie(heap_[0], -1);
        if (done(r)) {
          heap_[0] = heap_.back();
          heap_.pop_back();
        } else {
          heap_[0] = entry_of(r, --sequence);
          if (stop_at_ties) count_tie(heap_[0], 1);
        }
        if (!heap_.empty()) sift_down(0);
      } else {
        ++next_waiting;
        if (!done(r)) {
          heap_.push_back(entry_of(r, --sequence));
          if (stop_at_ties) count_tie(heap_.back(), 1);
          sift_up(heap_.size() - 1);
        }
      }
    }
    finish();
    return true;
  }

  // Yjs's loop as written: filter, sort, step.
  void run_literal() {
    reset();
    std::vector<std::uint32_t> order(readers_.size());
    for (std::uint32_t r = 0; r < order.size(); ++r) order[r] = r;
    while (true) {
      std::erase_if(order, [this](std::uint32_t r) { return done(r); });
      detail::v8_sort(order, &MergeRun::yjs_compare, this);
      if (order.empty()) break;
      step(order.front());
    }
    finish();
  }

  const PieceWriter& output() const { return out_; }

 private:
  struct Reader {
    std::uint32_t first = 0;
    std::uint32_t position = 0;
    std::uint32_t end = 0;
  };

  // A reader in the order: its current struct's id and kind, and among equal ids the lower
  // sequence goes first (readers that moved: negative, latest first; the others: their index).
  struct Entry {
    ClientId client = 0;
    Clock clock = 0;
    std::int64_t sequence = 0;
    std::uint32_t reader = 0;
    StructKind kind = StructKind::item;
  };

  struct IdHash {
    std::size_t operator()(const Id& id) const {
      return std::hash<std::uint64_t>()(id.client * 0x9E3779B97F4A7C15ull ^ id.clock);
    }
  };
  struct KindCounts {
    std::int64_t gc = 0;
    std::int64_t item = 0;
  };

  static bool before(const Entry& a, const Entry& b) {
    if (a.client != b.client) return a.client > b.client;
    if (a.clock != b.clock) return a.clock < b.clock;
    return a.sequence < b.sequence;
  }

  Entry entry_of(std::uint32_t r, std::int64_t sequence) const {
    const DecodedStruct& s = *current(r);
    return {s.id.client, s.id.clock, sequence, r, s.kind};
  }

  bool done(std::uint32_t r) const { return readers_[r].position == readers_[r].end; }
  const DecodedStruct* current(std::uint32_t r) const {
    const Reader& reader = readers_[r];
    return reader.position == reader.end ? nullptr : structs_[reader.position];
  }
  const DecodedStruct* advance(std::uint32_t r) {
    ++readers_[r].position;
    return current(r);
  }

  // The comparator of mergeUpdatesV2 (Skips never reach it: the readers filter them).
  static int yjs_compare(std::uint32_t a, std::uint32_t b, const void* context) {
    const auto* self = static_cast<const MergeRun*>(context);
    const DecodedStruct& x = *self->current(a);
    const DecodedStruct& y = *self->current(b);
    if (x.id.client == y.id.client) {
      if (x.id.clock != y.id.clock) return x.id.clock < y.id.clock ? -1 : 1;
      if (x.kind == y.kind) return 0;
      return x.kind == StructKind::skip ? 1 : -1;
    }
    return x.id.client > y.id.client ? -1 : 1;
  }

  void sift_down(std::size_t i) {
    const Entry moving = heap_[i];
    const std::size_t size = heap_.size();
    while (true) {
      std::size_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
  }

  void sift_up(std::size_t i) {
    const Entry moving = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(moving, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }

  // For each waiting entry, where the run of its id ends and where the run of its id and kind
  // ends, so a tie among waiting readers is found in O(1).
  void index_waiting_ties() {
    const std::size_t n = waiting_.size();
    id_run_end_.assign(n, static_cast<std::uint32_t>(n));
    kind_run_end_.assign(n, static_cast<std::uint32_t>(n));
    for (std::size_t i = n; i-- > 1;) {
      const Entry& a = waiting_[i - 1];
      const Entry& b = waiting_[i];
      const bool same_id = a.client == b.client && a.clock == b.clock;
      id_run_end_[i - 1] = same_id ? id_run_end_[i] : static_cast<std::uint32_t>(i);
      kind_run_end_[i - 1] =
          same_id && a.kind == b.kind ? kind_run_end_[i] : static_cast<std::uint32_t>(i);
    }
  }

  void count_tie(const Entry& entry, int delta) {
    KindCounts& counts = heap_ties_[Id{entry.client, entry.clock}];
    (entry.kind == StructKind::gc ? counts.gc : counts.item) += delta;
  }

  // Whether readers at the front's id hold both a GC and an item.
  bool tie_at(const Entry& front, std::size_t next_waiting) const {
    bool gc = false;
    bool item = false;
    if (next_waiting < waiting_.size()) {
      const Entry& w = waiting_[next_waiting];
      if (w.client == front.client && w.clock == front.clock) {
        if (kind_run_end_[next_waiting] < id_run_end_[next_waiting]) return true;
        (w.kind == StructKind::gc ? gc : item) = true;
      }
    }
    const auto found = heap_ties_.find(Id{front.client, front.clock});
    if (found != heap_ties_.end()) {
      gc = gc || found->second.gc > 0;
      item = item || found->second.item > 0;
    }
    return gc && item;
  }

  void reset() {
    for (Reader& reader : readers_) reader.position = reader.first;
    out_.clear();
    out_.reserve(structs_.size() + 1);
    writing_.reset();
  }

  void finish() {
    if (writing_) out_.add(*writing_);
    writing_.reset();
  }

  // One pass of the while loop of mergeUpdatesV2 with reader `r` first in order.
  void step(std::uint32_t r) {
    const DecodedStruct* curr = current(r);
    const ClientId first_client = curr->id.client;
    if (writing_) {
      Piece& w = *writing_;
      bool iterated = false;
      // Skip what was written already (Yjs compares clocks here whatever the client).
      while (curr != nullptr && curr->end_clock() <= w.end() && curr->id.client >= w.client) {
        curr = advance(r);
        iterated = true;
      }
      // Another reader may hold structs of this client in between: sort again.
      if (curr == nullptr || curr->id.client != first_client ||
          (iterated && curr->id.clock > w.end()))
        return;
      if (first_client != w.client) {
        out_.add(w);
        w = piece_of(*curr);
        advance(r);
      } else if (w.end() < curr->id.clock) {
        if (w.kind == StructKind::skip) {
          w.length = curr->end_clock() - w.clock;
        } else {
          out_.add(w);
          const Clock gap_start = w.end();
          w = Piece{StructKind::skip, first_client, gap_start, curr->id.clock - gap_start, nullptr};
        }
      } else {
        const std::uint64_t overlap = w.end() - curr->id.clock;
        Piece next = piece_of(*curr);
        if (overlap > 0) {
          if (w.kind == StructKind::skip) {
            w.length -= overlap;
          } else {
            next.clock += overlap;
            next.length -= overlap;
          }
        }
        // mergeWith: GC onto GC and Skip onto Skip. Items never merge here, because Yjs's
        // Item.mergeWith also asks for `this.right === right`, which is null for these readers.
        if (w.kind != StructKind::item && w.kind == next.kind) {
          w.length += next.length;
        } else {
          out_.add(w);
          w = next;
          advance(r);
        }
      }
    } else {
      writing_ = piece_of(*curr);
      advance(r);
    }
    Piece& w = *writing_;
    for (const DecodedStruct* next = current(r);
         next != nullptr && next->id.client == first_client && next->id.clock == w.end() &&
         next->kind != StructKind::skip;
         next = advance(r)) {
      out_.add(w);
      w = piece_of(*next);
    }
  }

  const std::vector<const DecodedStruct*>& structs_;
  std::vector<Reader> readers_;
  bool has_gc_ = false;
  std::vector<Entry> waiting_;
  std::vector<std::uint32_t> id_run_end_;
  std::vector<std::uint32_t> kind_run_end_;
  std::vector<Entry> heap_;
  std::unordered_map<Id, KindCounts, IdHash> heap_ties_;
  std::optional<Piece> writing_;
  PieceWriter out_;
};

template <typename Decoder, typename Encoder>
std::vector<std::uint8_t> merge(std::span<const std::span<const std::uint8_t>> updates,
                                detail::MergeStrategy strategy) {
  MergeInput input(updates);
  for (const auto& update : updates) input.add<Decoder>(update);
  if (updates.size() == 1) return {updates[0].begin(), updates[0].end()};

  MergeRun run(input);
  switch (strategy) {
    case detail::MergeStrategy::automatic: {
      const bool affordable = run.literal_cost() <= kLiteralMergeBudget;
      if (!run.run_fast(affordable)) run.run_literal();
      break;
    }
    case detail::MergeStrategy::fast:
      run.run_fast(false);
      break;
    case detail::MergeStrategy::literal:
      run.run_literal();
      break;
  }
  // mergeDeleteSets: every update's ranges per client, sorted and joined.
  input.deletes.sort_and_merge();

  Encoder encoder;
  run.output().write(encoder);
  input.deletes.write(encoder);
  return encoder.to_bytes();
}

// All structs of an update in order, Skips included (LazyStructReader without filtering).
std::vector<const DecodedStruct*> all_structs(const DecodedUpdate& update) {
  std::vector<const DecodedStruct*> out;
  for (const auto& block : update.clients)
    for (const auto& s : block.structs) out.push_back(&s);
  return out;
}

template <typename Decoder, typename Encoder>
std::vector<std::uint8_t> diff(std::span<const std::uint8_t> update, const StateVector& state) {
  const DecodedUpdate decoded = decode_update<Decoder>(update);
  const auto structs = all_structs(decoded);
  PieceWriter out;
  auto piece_from = [](const DecodedStruct& s, std::uint64_t offset) {
    Piece piece = piece_of(s);
    piece.clock += offset;
    piece.length -= offset;
    return piece;
  };
  std::size_t i = 0;
  while (i < structs.size()) {
    const DecodedStruct& curr = *structs[i];
    const ClientId client = curr.id.client;
    const auto known = state.find(client);
    const Clock state_clock = known == state.end() ? 0 : known->second;
    if (curr.kind == StructKind::skip) {
      // The first struct written for a client is never a Skip.
      ++i;
      continue;
    }
    if (curr.end_clock() > state_clock) {
      out.add(piece_from(curr, state_clock > curr.id.clock ? state_clock - curr.id.clock : 0));
      for (++i; i < structs.size() && structs[i]->id.client == client; ++i)
        out.add(piece_of(*structs[i]));
    } else {
      while (i < structs.size() && structs[i]->id.client == client &&
             structs[i]->end_clock() <= state_clock)
        ++i;
    }
  }
  Encoder encoder;
  out.write(encoder);
  decoded.delete_set.write(encoder);
  return encoder.to_bytes();
}

template <typename Decoder>
std::vector<std::uint8_t> state_vector_from_update(std::span<const std::uint8_t> update) {
  const DecodedUpdate decoded = decode_update<Decoder>(update);
  const auto structs = all_structs(decoded);
  Encoder entries;
  std::uint64_t count = 0;
  if (!structs.empty()) {
    // Counting stops at a Skip or when a client's first struct does not start at 0; a client
    // listed in two blocks is listed twice, as in Yjs.
    ClientId client = structs.front()->id.client;
    bool stopped = structs.front()->id.clock != 0;
    Clock clock = stopped ? 0 : structs.front()->end_clock();
    for (const DecodedStruct* s : structs) {
      if (s->id.client != client) {
        if (clock != 0) {
          ++count;
          entries.write_var_uint(client);
          entries.write_var_uint(clock);
        }
        client = s->id.client;
        clock = 0;
        stopped = s->id.clock != 0;
      }
      if (s->kind == StructKind::skip) stopped = true;
      if (!stopped) clock = s->end_clock();
    }
    if (clock != 0) {
      ++count;
      entries.write_var_uint(client);
      entries.write_var_uint(clock);
    }
  }
  Encoder out;
  out.write_var_uint(count);
  out.write_bytes(entries.bytes());
  return out.take();
}

template <typename Decoder, typename Encoder>
std::vector<std::uint8_t> convert(std::span<const std::uint8_t> update) {
  const DecodedUpdate decoded = decode_update<Decoder>(update);
  PieceWriter out;
  for (const DecodedStruct* s : all_structs(decoded)) out.add(piece_of(*s));
  Encoder encoder;
  out.write(encoder);
  decoded.delete_set.write(encoder);
  return encoder.to_bytes();
}

}  // namespace

namespace detail {

void v8_sort(std::vector<std::uint32_t>& values,
             int (*compare)(std::uint32_t, std::uint32_t, const void*), const void* context) {
  V8TimSort(values, compare, context).sort();
}

Result<std::vector<std::uint8_t>> merge_updates_with(
    std::span<const std::span<const std::uint8_t>> updates, bool v2, MergeStrategy strategy) {
  return guarded("cannot merge the updates", [&]() -> Result<std::vector<std::uint8_t>> {
    if (v2) return merge<UpdateDecoderV2, UpdateEncoderV2>(updates, strategy);
    return merge<UpdateDecoderV1, UpdateEncoderV1>(updates, strategy);
  });
}

}  // namespace detail

Result<std::vector<std::uint8_t>> merge_updates(
    std::span<const std::span<const std::uint8_t>> updates) {
  return detail::merge_updates_with(updates, false, detail::MergeStrategy::automatic);
}

Result<std::vector<std::uint8_t>> merge_updates_v2(
    std::span<const std::span<const std::uint8_t>> updates) {
  return detail::merge_updates_with(updates, true, detail::MergeStrategy::automatic);
}

Result<std::vector<std::uint8_t>> diff_update(std::span<const std::uint8_t> update,
                                              std::span<const std::uint8_t> state_vector) {
  auto state = decode_state_vector(state_vector);
  if (!state) return state.error();
  return guarded("cannot diff the update", [&]() -> Result<std::vector<std::uint8_t>> {
    return diff<UpdateDecoderV1, UpdateEncoderV1>(update, *state);
  });
}

Result<std::vector<std::uint8_t>> diff_update_v2(std::span<const std::uint8_t> update,
                                                 std::span<const std::uint8_t> state_vector) {
  auto state = decode_state_vector(state_vector);
  if (!state) return state.error();
  return guarded("cannot diff the update", [&]() -> Result<std::vector<std::uint8_t>> {
    return diff<UpdateDecoderV2, UpdateEncoderV2>(update, *state);
  });
}

Result<std::vector<std::uint8_t>> encode_state_vector_from_update(
    std::span<const std::uint8_t> update) {
  return guarded("cannot read the update", [&]() -> Result<std::vector<std::uint8_t>> {
    return state_vector_from_update<UpdateDecoderV1>(update);
  });
}

Result<std::vector<std::uint8_t>> encode_state_vector_from_update_v2(
    std::span<const std::uint8_t> update) {
  return guarded("cannot read the update", [&]() -> Result<std::vector<std::uint8_t>> {
    return state_vector_from_update<UpdateDecoderV2>(update);
  });
}

Result<std::vector<std::uint8_t>> convert_update_v1_to_v2(std::span<const std::uint8_t> update) {
  return guarded("cannot convert the update", [&]() -> Result<std::vector<std::uint8_t>> {
    return convert<UpdateDecoderV1, UpdateEncoderV2>(update);
  });
}

Result<std::vector<std::uint8_t>> convert_update_v2_to_v1(std::span<const std::uint8_t> update) {
  return guarded("cannot convert the update", [&]() -> Result<std::vector<std::uint8_t>> {
    return convert<UpdateDecoderV2, UpdateEncoderV1>(update);
  });
}

Result<StateVector> decode_state_vector(std::span<const std::uint8_t> state_vector) {
  return guarded("cannot read the state vector", [&]() -> Result<StateVector> {
    Decoder decoder(state_vector);
    StateVector state;
    const std::uint64_t count = decoder.read_var_uint();
    // Each entry takes at least two bytes.
    if (count > decoder.remaining() / 2)
      throw DecodeError("it claims " + std::to_string(count) + " clients but holds " +
                        std::to_string(decoder.remaining()) + " more bytes");
    for (std::uint64_t i = 0; i < count; ++i) {
      const ClientId client = decoder.read_var_uint();
      const Clock clock = decoder.read_var_uint();
      if (client > kMaxSafeInteger || clock > kMaxSafeInteger)
        throw DecodeError("client " + std::to_string(client) + " at clock " +
                          std::to_string(clock) + " is beyond 2^53");
      state[client] = clock;
    }
    return state;
  });
}

std::vector<std::uint8_t> encode_state_vector(const StateVector& state_vector) {
  Encoder encoder;
  encoder.write_var_uint(state_vector.size());
  for (auto it = state_vector.rbegin(); it != state_vector.rend(); ++it) {
    encoder.write_var_uint(it->first);
    encoder.write_var_uint(it->second);
  }
  return encoder.take();
}

}  // namespace agora::crdt
