#include "crdt/update_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Reference data, printed by Yjs 13.6.33 / lib0 0.2.120 in node (script kept out of the repo;
// the calls are described here so the data can be regenerated).
//
// kDocV1 / kDocV2: Y.encodeStateAsUpdate(a) / Y.encodeStateAsUpdateV2(a) of this document:
//   a.clientID = 3000000001, b.clientID = 7
//   text = a.getText('text'); text.insert(0, 'Hello 😀 world'); text.format(0, 5, {bold: true})
//   text.insertEmbed(6, {image: 'x.png'}); text.format(8, 3, {italic: {note: 'é'}})
//   map = a.getMap('map'); map.set('n', 1); map.set('f', 0.5); map.set('d', 0.1); map.set('s',
//   'str') map.set('big', 123n); map.set('bytes', new Uint8Array([1, 2, 3])) map.set('obj', {k: [1,
//   null, true, 'v', {deep: -0}], u: new Uint8Array([9])}); map.set('n', 2) arr = new Y.Array();
//   map.set('arr', arr); arr.insert(0, [1, 2, 3, 'x']); map.delete('arr') map.set('sub', new
//   Y.Doc({guid: 'sub-guid', meta: {title: 't'}})) xml = a.getXmlFragment('xml'); p = new
//   Y.XmlElement('p'); xml.insert(0, [p]) p.setAttribute('class', 'intro');
//   p.setAttribute('data-x', '1') xt = new Y.XmlText(); p.insert(0, [xt]); xt.insert(0, 'para',
//   {bold: true}) xml.insert(1, [new Y.XmlHook('hook-name')]) Y.applyUpdate(b,
//   Y.encodeStateAsUpdate(a)); b.getText('text').insert(3, 'B!') b.getArray('list').insert(0,
//   ['one', 2, false]); b.getText('text').delete(0, 2) Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
//   text.delete(5, 3)
// kDocListing: Y.decodeUpdateV2(kDocV2) (identical for Y.decodeUpdate(kDocV1)), one line per
//   struct: id, origin, rightOrigin, parent (root name or id), parentSub and content, then one
//   line per delete-set range.
// kSkipV2 / kSkipV1: three inserts into c.getText('t') (clientID 42), 'abc', 'def', 'ghi';
//   Y.mergeUpdatesV2([u1, u3]) / Y.mergeUpdates([u1, u3]) of the first and third updates.
// kKeyCacheV2: written call by call with new Y.UpdateEncoderV2(): client 5, a ContentJSON
//   ['{"a":1}', 'undefined', '[true]'] in root 'r', a ContentFormat('bold', true), and a
//   ContentFormat('bold', null) whose key is only keyClockEncoder.write(0), a reference to the
//   key cache that Yjs's decoder resolves but its encoder never writes.
// kCallsV2 / kCallsV1: the encoder calls in write_call_sequence below, made on
//   new Y.UpdateEncoderV2() / new Y.UpdateEncoderV1(), then toUint8Array().
// kSplitPairV2: UpdateEncoderV2 writeString of 'a\ud83d', '\ude00b', '\ud83d', '', '\ude00',
//   '😀'; the string column joins the halves into whole pairs. Reading them back with
//   UpdateDecoderV2 and TextEncoder gives 61efbfbd efbfbd62 efbfbd (empty) efbfbd f09f9880.

// kDocV1: 554 bytes
const Bytes kDocV1 = {
    0x02, 0x1f, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x00, 0x01, 0x01, 0x04, 0x74, 0x65, 0x78, 0x74, 0x02,
    0x84, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x01, 0x01, 0x6c, 0x84, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x02,
    0x02, 0x6c, 0x6f, 0x81, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x04, 0x01, 0x81, 0x81, 0xbc, 0xc1, 0x96,
    0x0b, 0x05, 0x01, 0x84, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x06, 0x05, 0xef, 0xbf, 0xbd, 0x20, 0x77,
    0x84, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x09, 0x04, 0x6f, 0x72, 0x6c, 0x64, 0x46, 0x81, 0xbc, 0xc1,
    0x96, 0x0b, 0x00, 0x04, 0x62, 0x6f, 0x6c, 0x64, 0x04, 0x74, 0x72, 0x75, 0x65, 0xc6, 0x81, 0xbc,
    0xc1, 0x96, 0x0b, 0x04, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x05, 0x04, 0x62, 0x6f, 0x6c, 0x64, 0x04,
    0x6e, 0x75, 0x6c, 0x6c, 0xc1, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x05, 0x81, 0xbc, 0xc1, 0x96, 0x0b,
    0x06, 0x01, 0xc6, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x06, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x07, 0x06,
    0x69, 0x74, 0x61, 0x6c, 0x69, 0x63, 0x0d, 0x7b, 0x22, 0x6e, 0x6f, 0x74, 0x65, 0x22, 0x3a, 0x22,
    0xc3, 0xa9, 0x22, 0x7d, 0xc6, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x09, 0x81, 0xbc, 0xc1, 0x96, 0x0b,
    0x0a, 0x06, 0x69, 0x74, 0x61, 0x6c, 0x69, 0x63, 0x04, 0x6e, 0x75, 0x6c, 0x6c, 0x21, 0x01, 0x03,
    0x6d, 0x61, 0x70, 0x01, 0x6e, 0x01, 0x28, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x01, 0x66, 0x01, 0x7c,
    0x3f, 0x00, 0x00, 0x00, 0x28, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x01, 0x64, 0x01, 0x7b, 0x3f, 0xb9,
    0x99, 0x99, 0x99, 0x99, 0x99, 0x9a, 0x28, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x01, 0x73, 0x01, 0x77,
    0x03, 0x73, 0x74, 0x72, 0x28, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x03, 0x62, 0x69, 0x67, 0x01, 0x7a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x23, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x05, 0x62,
    0x79, 0x74, 0x65, 0x73, 0x03, 0x01, 0x02, 0x03, 0x28, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x03, 0x6f,
    0x62, 0x6a, 0x01, 0x76, 0x02, 0x01, 0x6b, 0x75, 0x05, 0x7d, 0x01, 0x7e, 0x78, 0x77, 0x01, 0x76,
    0x76, 0x01, 0x04, 0x64, 0x65, 0x65, 0x70, 0x7d, 0x40, 0x01, 0x75, 0x74, 0x01, 0x09, 0xa8, 0x81,
    0xbc, 0xc1, 0x96, 0x0b, 0x13, 0x01, 0x7d, 0x02, 0x21, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x03, 0x61,
    0x72, 0x72, 0x01, 0x00, 0x04, 0x29, 0x01, 0x03, 0x6d, 0x61, 0x70, 0x03, 0x73, 0x75, 0x62, 0x08,
    0x73, 0x75, 0x62, 0x2d, 0x67, 0x75, 0x69, 0x64, 0x76, 0x01, 0x04, 0x6d, 0x65, 0x74, 0x61, 0x76,
    0x01, 0x05, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x77, 0x01, 0x74, 0x07, 0x01, 0x03, 0x78, 0x6d, 0x6c,
    0x03, 0x01, 0x70, 0x28, 0x00, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x21, 0x05, 0x63, 0x6c, 0x61, 0x73,
    0x73, 0x01, 0x77, 0x05, 0x69, 0x6e, 0x74, 0x72, 0x6f, 0x28, 0x00, 0x81, 0xbc, 0xc1, 0x96, 0x0b,
    0x21, 0x06, 0x64, 0x61, 0x74, 0x61, 0x2d, 0x78, 0x01, 0x77, 0x01, 0x31, 0x07, 0x00, 0x81, 0xbc,
    0xc1, 0x96, 0x0b, 0x21, 0x06, 0x06, 0x00, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x24, 0x04, 0x62, 0x6f,
    0x6c, 0x64, 0x04, 0x74, 0x72, 0x75, 0x65, 0x84, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x25, 0x04, 0x70,
    0x61, 0x72, 0x61, 0x86, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x29, 0x04, 0x62, 0x6f, 0x6c, 0x64, 0x04,
    0x6e, 0x75, 0x6c, 0x6c, 0x87, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x21, 0x05, 0x09, 0x68, 0x6f, 0x6f,
    0x6b, 0x2d, 0x6e, 0x61, 0x6d, 0x65, 0x02, 0x07, 0x00, 0xc4, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x02,
    0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x03, 0x02, 0x42, 0x21, 0x08, 0x01, 0x04, 0x6c, 0x69, 0x73, 0x74,
    0x03, 0x77, 0x03, 0x6f, 0x6e, 0x65, 0x7d, 0x02, 0x79, 0x01, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x05,
    0x00, 0x02, 0x05, 0x02, 0x10, 0x01, 0x13, 0x01, 0x1b, 0x05,
};
// kDocV2: 418 bytes
const Bytes kDocV2 = {
    0x00, 0x03, 0x00, 0x03, 0x05, 0x0d, 0xc1, 0xf8, 0x82, 0xad, 0x16, 0x16, 0x07, 0xc1, 0xf8, 0x82,
    0xad, 0x16, 0x00, 0x13, 0x03, 0x00, 0x04, 0x03, 0x00, 0x06, 0x4a, 0x03, 0x00, 0x06, 0x14, 0x1c,
    0x01, 0x00, 0x06, 0x02, 0x08, 0x50, 0x7e, 0x06, 0x00, 0x0a, 0x03, 0x00, 0x06, 0x4e, 0x31, 0x01,
    0x00, 0x84, 0x01, 0x81, 0x01, 0x84, 0x01, 0x46, 0x00, 0xc6, 0x00, 0xc1, 0x00, 0xc6, 0x01, 0x21,
    0x00, 0x28, 0x03, 0x23, 0x00, 0x28, 0x00, 0xa8, 0x00, 0x21, 0x00, 0x00, 0x00, 0x29, 0x00, 0x07,
    0x00, 0x28, 0x01, 0x07, 0x00, 0x06, 0x00, 0x84, 0x00, 0x86, 0x00, 0x87, 0x00, 0xc4, 0x00, 0x08,
    0xa7, 0x01, 0x86, 0x01, 0x74, 0x65, 0x78, 0x74, 0x6c, 0x6c, 0x6f, 0xef, 0xbf, 0xbd, 0x20, 0x77,
    0x6f, 0x72, 0x6c, 0x64, 0x62, 0x6f, 0x6c, 0x64, 0x62, 0x6f, 0x6c, 0x64, 0x69, 0x74, 0x61, 0x6c,
    0x69, 0x63, 0x69, 0x74, 0x61, 0x6c, 0x69, 0x63, 0x6d, 0x61, 0x70, 0x6e, 0x6d, 0x61, 0x70, 0x66,
    0x6d, 0x61, 0x70, 0x64, 0x6d, 0x61, 0x70, 0x73, 0x6d, 0x61, 0x70, 0x62, 0x69, 0x67, 0x6d, 0x61,
    0x70, 0x62, 0x79, 0x74, 0x65, 0x73, 0x6d, 0x61, 0x70, 0x6f, 0x62, 0x6a, 0x6d, 0x61, 0x70, 0x61,
    0x72, 0x72, 0x6d, 0x61, 0x70, 0x73, 0x75, 0x62, 0x73, 0x75, 0x62, 0x2d, 0x67, 0x75, 0x69, 0x64,
    0x78, 0x6d, 0x6c, 0x70, 0x63, 0x6c, 0x61, 0x73, 0x73, 0x64, 0x61, 0x74, 0x61, 0x2d, 0x78, 0x62,
    0x6f, 0x6c, 0x64, 0x70, 0x61, 0x72, 0x61, 0x62, 0x6f, 0x6c, 0x64, 0x68, 0x6f, 0x6f, 0x6b, 0x2d,
    0x6e, 0x61, 0x6d, 0x65, 0x42, 0x21, 0x6c, 0x69, 0x73, 0x74, 0x04, 0x01, 0x02, 0x03, 0x44, 0x01,
    0x46, 0x00, 0x03, 0x01, 0x03, 0x01, 0x03, 0x01, 0x03, 0x01, 0x43, 0x01, 0x05, 0x43, 0x04, 0x08,
    0x03, 0x01, 0x05, 0x06, 0x44, 0x01, 0x09, 0x02, 0x04, 0x05, 0x01, 0x0a, 0x00, 0x03, 0x01, 0x03,
    0x03, 0x06, 0x05, 0x07, 0x02, 0x41, 0x09, 0x04, 0x41, 0x00, 0x03, 0x02, 0x1f, 0x00, 0x78, 0x7e,
    0x76, 0x01, 0x04, 0x6e, 0x6f, 0x74, 0x65, 0x77, 0x02, 0xc3, 0xa9, 0x7e, 0x7c, 0x3f, 0x00, 0x00,
    0x00, 0x7b, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a, 0x77, 0x03, 0x73, 0x74, 0x72, 0x7a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x03, 0x01, 0x02, 0x03, 0x76, 0x02, 0x01, 0x6b,
    0x75, 0x05, 0x7d, 0x01, 0x7e, 0x78, 0x77, 0x01, 0x76, 0x76, 0x01, 0x04, 0x64, 0x65, 0x65, 0x70,
    0x7d, 0x40, 0x01, 0x75, 0x74, 0x01, 0x09, 0x7d, 0x02, 0x76, 0x01, 0x04, 0x6d, 0x65, 0x74, 0x61,
    0x76, 0x01, 0x05, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x77, 0x01, 0x74, 0x77, 0x05, 0x69, 0x6e, 0x74,
    0x72, 0x6f, 0x77, 0x01, 0x31, 0x78, 0x7e, 0x02, 0x00, 0x77, 0x03, 0x6f, 0x6e, 0x65, 0x7d, 0x02,
    0x79, 0x01, 0x81, 0xbc, 0xc1, 0x96, 0x0b, 0x05, 0x00, 0x01, 0x03, 0x01, 0x09, 0x00, 0x02, 0x00,
    0x07, 0x04,
};
const std::vector<std::string> kDocListing = {
    "item 3000000001:0 origin=- right=- parent=text sub=- deleted(2)",
    "item 3000000001:2 origin=3000000001:1 right=- parent=- sub=- string(\"l\")",
    "item 3000000001:3 origin=3000000001:2 right=- parent=- sub=- string(\"lo\")",
    "item 3000000001:5 origin=3000000001:4 right=- parent=- sub=- deleted(1)",
    "item 3000000001:6 origin=3000000001:5 right=- parent=- sub=- deleted(1)",
    "item 3000000001:7 origin=3000000001:6 right=- parent=- sub=- string(\"� w\")",
    "item 3000000001:10 origin=3000000001:9 right=- parent=- sub=- string(\"orld\")",
    "item 3000000001:14 origin=- right=3000000001:0 parent=- sub=- format(bold,true)",
    "item 3000000001:15 origin=3000000001:4 right=3000000001:5 parent=- sub=- format(bold,null)",
    "item 3000000001:16 origin=3000000001:5 right=3000000001:6 parent=- sub=- deleted(1)",
    "item 3000000001:17 origin=3000000001:6 right=3000000001:7 parent=- sub=- "
    "format(italic,{\"note\":\"é\"})",
    "item 3000000001:18 origin=3000000001:9 right=3000000001:10 parent=- sub=- format(italic,null)",
    "item 3000000001:19 origin=- right=- parent=map sub=n deleted(1)",
    "item 3000000001:20 origin=- right=- parent=map sub=f any([0.5])",
    "item 3000000001:21 origin=- right=- parent=map sub=d any([0.1])",
    "item 3000000001:22 origin=- right=- parent=map sub=s any([\"str\"])",
    "item 3000000001:23 origin=- right=- parent=map sub=big any([123])",
    "item 3000000001:24 origin=- right=- parent=map sub=bytes binary(010203)",
    "item 3000000001:25 origin=- right=- parent=map sub=obj "
    "any([{\"k\":[1,null,true,\"v\",{\"deep\":0}],\"u\":{\"0\":9}}])",
    "item 3000000001:26 origin=3000000001:19 right=- parent=- sub=- any([2])",
    "item 3000000001:27 origin=- right=- parent=map sub=arr deleted(1)",
    "gc 3000000001:28 4",
    "item 3000000001:32 origin=- right=- parent=map sub=sub "
    "doc(sub-guid,{\"meta\":{\"title\":\"t\"}})",
    "item 3000000001:33 origin=- right=- parent=xml sub=- type(3,p)",
    "item 3000000001:34 origin=- right=- parent=3000000001:33 sub=class any([\"intro\"])",
    "item 3000000001:35 origin=- right=- parent=3000000001:33 sub=data-x any([\"1\"])",
    "item 3000000001:36 origin=- right=- parent=3000000001:33 sub=- type(6)",
    "item 3000000001:37 origin=- right=- parent=3000000001:36 sub=- format(bold,true)",
    "item 3000000001:38 origin=3000000001:37 right=- parent=- sub=- string(\"para\")",
    "item 3000000001:42 origin=3000000001:41 right=- parent=- sub=- format(bold,null)",
    "item 3000000001:43 origin=3000000001:33 right=- parent=- sub=- type(5,hook-name)",
    "item 7:0 origin=3000000001:2 right=3000000001:3 parent=- sub=- string(\"B!\")",
    "item 7:2 origin=- right=- parent=list sub=- any([\"one\",2,false])",
    "ds 3000000001 0 2",
    "ds 3000000001 5 2",
    "ds 3000000001 16 1",
    "ds 3000000001 19 1",
    "ds 3000000001 27 5",
};
// kSkipV2: 35 bytes
const Bytes kSkipV2 = {
    0x00, 0x00, 0x02, 0x6a, 0x00, 0x01, 0x0a, 0x00, 0x05, 0x04, 0x00, 0x0a,
    0x00, 0x84, 0x0b, 0x07, 0x74, 0x61, 0x62, 0x63, 0x67, 0x68, 0x69, 0x01,
    0x43, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x03, 0x00,
};
const std::vector<std::string> kSkipListing = {
    "item 42:0 origin=- right=- parent=t sub=- string(\"abc\")",
    "skip 42:3 3",
    "item 42:6 origin=42:5 right=- parent=- sub=- string(\"ghi\")",
};
// kSkipV1: 22 bytes
const Bytes kSkipV1 = {
    0x01, 0x03, 0x2a, 0x00, 0x04, 0x01, 0x01, 0x74, 0x03, 0x61, 0x62,
    0x63, 0x0a, 0x03, 0x84, 0x2a, 0x05, 0x03, 0x67, 0x68, 0x69, 0x00,
};
// kKeyCacheV2: 60 bytes
const Bytes kKeyCacheV2 = {
    0x00, 0x02, 0x01, 0x00, 0x02, 0x45, 0x01, 0x02, 0x04, 0x02, 0x00, 0x03, 0x02, 0x00, 0x86,
    0x21, 0x1b, 0x72, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d, 0x75, 0x6e, 0x64, 0x65, 0x66,
    0x69, 0x6e, 0x65, 0x64, 0x5b, 0x74, 0x72, 0x75, 0x65, 0x5d, 0x62, 0x6f, 0x6c, 0x64, 0x01,
    0x07, 0x09, 0x06, 0x04, 0x01, 0x01, 0x00, 0x01, 0x03, 0x01, 0x03, 0x00, 0x78, 0x7e, 0x00,
};
const std::vector<std::string> kKeyCacheListing = {
    "item 5:0 origin=- right=- parent=r sub=- json({\"a\":1}|undefined|[true])",
    "item 5:3 origin=5:2 right=- parent=- sub=- format(bold,true)",
    "item 5:4 origin=5:3 right=- parent=- sub=- format(bold,null)",
};
// kCallsV2: 165 bytes
const Bytes kCallsV2 = {
    0x00, 0x03, 0x00, 0x03, 0x00, 0x21, 0x40, 0x01, 0x45, 0x00, 0x01, 0x00, 0x80, 0x80, 0x80,
    0x80, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x00, 0x01, 0x02, 0x03,
    0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x41, 0x01, 0x11, 0x00, 0x03, 0x01, 0x0e, 0x01,
    0x00, 0x49, 0x00, 0xbe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x42, 0x03, 0x08, 0x00,
    0x04, 0x07, 0x01, 0x01, 0x07, 0x00, 0x00, 0x02, 0xff, 0x38, 0x2e, 0x61, 0xc3, 0xa9, 0xf0,
    0x9f, 0x98, 0x80, 0x61, 0x62, 0x6c, 0x6f, 0x6e, 0x67, 0x20, 0x73, 0x74, 0x72, 0x69, 0x6e,
    0x67, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x6e, 0x69, 0x6e, 0x65, 0x74, 0x65, 0x65, 0x6e,
    0x20, 0x75, 0x6e, 0x69, 0x74, 0x73, 0x6b, 0x31, 0x6b, 0x31, 0x6b, 0x32, 0x00, 0x41, 0x00,
    0x42, 0x00, 0x1f, 0x00, 0x42, 0x01, 0x03, 0x01, 0x01, 0x00, 0x03, 0x40, 0x00, 0x06, 0x05,
    0x40, 0x00, 0x43, 0x01, 0x01, 0x05, 0x00, 0x04, 0xab, 0x02, 0x76, 0x01, 0x01, 0x78, 0x7d,
    0x01, 0x02, 0x01, 0x02, 0x76, 0x01, 0x01, 0x6a, 0x75, 0x01, 0x7c, 0x3f, 0xc0, 0x00, 0x00,
};
// kCallsV1: 171 bytes
const Bytes kCallsV1 = {
    0x00, 0x00, 0x00, 0x05, 0x05, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x01, 0x01,
    0x02, 0x02, 0x03, 0x03, 0x04, 0x0a, 0x05, 0x0a, 0x06, 0x0a, 0x07, 0x05, 0x08, 0x00, 0x09, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
    0x01, 0x01, 0x07, 0x00, 0x00, 0x00, 0xff, 0x00, 0x01, 0x61, 0x02, 0xc3, 0xa9, 0x04, 0xf0, 0x9f,
    0x98, 0x80, 0x02, 0x61, 0x62, 0x1f, 0x6c, 0x6f, 0x6e, 0x67, 0x20, 0x73, 0x74, 0x72, 0x69, 0x6e,
    0x67, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x6e, 0x69, 0x6e, 0x65, 0x74, 0x65, 0x65, 0x6e, 0x20,
    0x75, 0x6e, 0x69, 0x74, 0x73, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x03, 0x03,
    0x03, 0x01, 0x01, 0x04, 0x01, 0x04, 0x01, 0x06, 0x02, 0x6b, 0x31, 0x02, 0x6b, 0x31, 0x02, 0x6b,
    0x32, 0x05, 0x01, 0x0a, 0xac, 0x02, 0x76, 0x01, 0x01, 0x78, 0x7d, 0x01, 0x02, 0x01, 0x02, 0x0b,
    0x7b, 0x22, 0x6a, 0x22, 0x3a, 0x5b, 0x31, 0x2e, 0x35, 0x5d, 0x7d,
};
// kSplitPairV2: 31 bytes
const Bytes kSplitPairV2 = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x15, 0x0e, 0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62, 0xf0, 0x9f,
    0x98, 0x80, 0xf0, 0x9f, 0x98, 0x80, 0x42, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00,
};  // kEmptyV2: Y.encodeStateAsUpdateV2(new Y.Doc()).
const Bytes kEmptyV2 = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

// ---------------------------------------------------------------------------------------------
// A hand-written reader that follows yjs's readClientsStructRefs, readItemContent and
// readDeleteSet call by call, recording every call (the tape) and a line per struct in the
// format of kDocListing.

struct Op {
  enum class Kind {
    kRestVarUint,
    kClient,
    kInfo,
    kLeftId,
    kRightId,
    kParentInfo,
    kString,
    kTypeRef,
    kLen,
    kAny,
    kBuf,
    kJson,
    kKey,
    kDsReset,
    kDsClock,
    kDsLen,
  };
  explicit Op(Kind k, std::uint64_t n = 0) : kind(k), number(n) {}

  Kind kind;
  std::uint64_t number;
  Id id;
  std::string text;
  Any any;
  Bytes bytes;
};

struct Walk {
  std::vector<Op> tape;
  std::vector<std::string> listing;
};

std::string id_text(Id id) {
  return std::to_string(id.client) + ":" + std::to_string(id.clock);
}

std::string hex_of(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

template <typename Decoder>
class Walker {
 public:
  Walker(Decoder& decoder, std::size_t input_size) : d_(decoder), limit_(input_size * 8 + 64) {}

  Walk run() {
    const std::uint64_t clients = bounded(rest_uint());
    for (std::uint64_t i = 0; i < clients; ++i) {
      const std::uint64_t structs = bounded(rest_uint());
      const ClientId client = d_.read_client();
      record(Op::Kind::kClient, client);
      Clock clock = rest_uint();
      for (std::uint64_t s = 0; s < structs; ++s) {
        const std::uint8_t info = d_.read_info();
        record(Op::Kind::kInfo, info);
        const Id id{client, clock};
        switch (info & 0x1f) {
          case 0: {
            const std::uint64_t len = read_len();
            walk_.listing.push_back("gc " + id_text(id) + " " + std::to_string(len));
            clock += len;
            break;
          }
          case 10: {
            const std::uint64_t len = rest_uint();
            walk_.listing.push_back("skip " + id_text(id) + " " + std::to_string(len));
            clock += len;
            break;
          }
          default:
            clock += read_item(id, info);
        }
      }
    }
    const std::uint64_t ds_clients = bounded(rest_uint());
    for (std::uint64_t i = 0; i < ds_clients; ++i) {
      d_.reset_ds_cur_val();
      walk_.tape.push_back(Op{Op::Kind::kDsReset});
      const std::uint64_t client = rest_uint();
      const std::uint64_t ranges = bounded(rest_uint());
      for (std::uint64_t r = 0; r < ranges; ++r) {
        const Clock ds_clock = d_.read_ds_clock();
        record(Op::Kind::kDsClock, ds_clock);
        const std::uint64_t ds_len = d_.read_ds_len();
        record(Op::Kind::kDsLen, ds_len);
        walk_.listing.push_back("ds " + std::to_string(client) + " " + std::to_string(ds_clock) +
                                " " + std::to_string(ds_len));
      }
    }
    return std::move(walk_);
  }

 private:
  void record(Op::Kind kind, std::uint64_t number) { walk_.tape.push_back(Op{kind, number}); }

  // Counts in a v2 update can be repeated by the column run-lengths without consuming input,
  // so a reader has to bound them itself (here: by the input size).
  std::uint64_t bounded(std::uint64_t count) {
    if (count > limit_) throw DecodeError("count larger than the input allows");
    return count;
  }

  std::uint64_t rest_uint() {
    const std::uint64_t value = d_.rest().read_var_uint();
    record(Op::Kind::kRestVarUint, value);
    return value;
  }

  std::uint64_t read_len() {
    const std::uint64_t len = d_.read_len();
    record(Op::Kind::kLen, len);
    return len;
  }

  Id read_id(Op::Kind kind) {
    const Id id = kind == Op::Kind::kLeftId ? d_.read_left_id() : d_.read_right_id();
    Op op{kind};
    op.id = id;
    walk_.tape.push_back(op);
    return id;
  }

  std::string read_string() {
    std::string text(d_.read_string());
    Op op{Op::Kind::kString};
    op.text = text;
    walk_.tape.push_back(op);
    return text;
  }

  std::string read_json() {
    std::string text = d_.read_json().json;
    Op op{Op::Kind::kJson};
    op.text = text;
    walk_.tape.push_back(op);
    return text;
  }

  std::string read_key() {
    std::string key(d_.read_key());
    Op op{Op::Kind::kKey};
    op.text = key;
    walk_.tape.push_back(op);
    return key;
  }

  Any read_any() {
    Any value = d_.read_any();
    Op op{Op::Kind::kAny};
    op.any = value;
    walk_.tape.push_back(op);
    return value;
  }

  // Returns the item's length in clock units.
  std::uint64_t read_item(Id id, std::uint8_t info) {
    std::string line = "item " + id_text(id);
    line +=
        " origin=" + ((info & 0x80) != 0 ? id_text(read_id(Op::Kind::kLeftId)) : std::string("-"));
    line +=
        " right=" + ((info & 0x40) != 0 ? id_text(read_id(Op::Kind::kRightId)) : std::string("-"));
    std::string parent = "-";
    std::string sub = "-";
    if ((info & 0xc0) == 0) {
      const bool is_root_key = d_.read_parent_info();
      record(Op::Kind::kParentInfo, is_root_key);
      parent = is_root_key ? read_string() : id_text(read_id(Op::Kind::kLeftId));
      if ((info & 0x20) != 0) sub = read_string();
    }
    line += " parent=" + parent + " sub=" + sub + " ";
    std::uint64_t length = 1;
    switch (info & 0x1f) {
      case 1:
        length = read_len();
        line += "deleted(" + std::to_string(length) + ")";
        break;
      case 2: {
        length = bounded(read_len());
        line += "json(";
        for (std::uint64_t i = 0; i < length; ++i) line += (i > 0 ? "|" : "") + read_string();
        line += ")";
        break;
      }
      case 3: {
        const auto buf = d_.read_buf();
        Op op{Op::Kind::kBuf};
        op.bytes.assign(buf.begin(), buf.end());
        walk_.tape.push_back(op);
        line += "binary(" + hex_of(buf) + ")";
        break;
      }
      case 4: {
        const std::string text = read_string();
        length = utf16_length(text);
        line += "string(" + to_json(Any{text}) + ")";
        break;
      }
      case 5:
        line += "embed(" + read_json() + ")";
        break;
      case 6: {
        const std::string key = read_key();
        line += "format(" + key + "," + read_json() + ")";
        break;
      }
      case 7: {
        const std::uint32_t type_ref = d_.read_type_ref();
        record(Op::Kind::kTypeRef, type_ref);
        line += "type(" + std::to_string(type_ref);
        if (type_ref == 3 || type_ref == 5) line += "," + read_key();
        line += ")";
        break;
      }
      case 8: {
        length = bounded(read_len());
        Any::Array values;
        for (std::uint64_t i = 0; i < length; ++i) values.push_back(read_any());
        line += "any(" + to_json(Any{std::move(values)}) + ")";
        break;
      }
      case 9: {
        const std::string guid = read_string();
        line += "doc(" + guid + "," + to_json(read_any()) + ")";
        break;
      }
      default:
        throw DecodeError("unknown content ref " + std::to_string(info & 0x1f));
    }
    walk_.listing.push_back(line);
    return length;
  }

  Decoder& d_;
  std::uint64_t limit_;
  Walk walk_;
};

template <typename Decoder>
Walk walk_update(const Bytes& update) {
  Decoder decoder(update);
  Walk walk = Walker<Decoder>(decoder, update.size()).run();
  if (!decoder.rest().done()) throw DecodeError("bytes left after the delete set");
  return walk;
}

// Replays a tape onto an encoder: the calls Yjs's writers would make for the same structs.
template <typename Encoder>
Bytes replay(const std::vector<Op>& tape) {
  Encoder e;
  for (const Op& op : tape) {
    switch (op.kind) {
      case Op::Kind::kRestVarUint:
        e.rest().write_var_uint(op.number);
        break;
      case Op::Kind::kClient:
        e.write_client(op.number);
        break;
      case Op::Kind::kInfo:
        e.write_info(static_cast<std::uint8_t>(op.number));
        break;
      case Op::Kind::kLeftId:
        e.write_left_id(op.id);
        break;
      case Op::Kind::kRightId:
        e.write_right_id(op.id);
        break;
      case Op::Kind::kParentInfo:
        e.write_parent_info(op.number != 0);
        break;
      case Op::Kind::kString:
        e.write_string(op.text);
        break;
      case Op::Kind::kTypeRef:
        e.write_type_ref(static_cast<std::uint32_t>(op.number));
        break;
      case Op::Kind::kLen:
        e.write_len(op.number);
        break;
      case Op::Kind::kAny:
        e.write_any(op.any);
        break;
      case Op::Kind::kBuf:
        e.write_buf(op.bytes);
        break;
      case Op::Kind::kJson:
        e.write_json(op.text);
        break;
      case Op::Kind::kKey:
        e.write_key(op.text);
        break;
      case Op::Kind::kDsReset:
        e.reset_ds_cur_val();
        break;
      case Op::Kind::kDsClock:
        e.write_ds_clock(op.number);
        break;
      case Op::Kind::kDsLen:
        e.write_ds_len(op.number);
        break;
    }
  }
  return e.to_bytes();
}

// ---------------------------------------------------------------------------------------------

TEST(UpdateCodec, V2DocumentReadsFieldByFieldLikeYjs) {
  const Walk walk = walk_update<UpdateDecoderV2>(kDocV2);
  EXPECT_EQ(walk.listing, kDocListing);
}

TEST(UpdateCodec, V1DocumentReadsFieldByFieldLikeYjs) {
  const Walk walk = walk_update<UpdateDecoderV1>(kDocV1);
  EXPECT_EQ(walk.listing, kDocListing);
}

TEST(UpdateCodec, V2DocumentReencodesByteIdentically) {
  const Walk walk = walk_update<UpdateDecoderV2>(kDocV2);
  EXPECT_EQ(replay<UpdateEncoderV2>(walk.tape), kDocV2);
  // The same calls on the v1 encoder give what Y.encodeStateAsUpdate printed.
  EXPECT_EQ(replay<UpdateEncoderV1>(walk.tape), kDocV1);
}

TEST(UpdateCodec, V1DocumentReencodesByteIdentically) {
  const Walk walk = walk_update<UpdateDecoderV1>(kDocV1);
  EXPECT_EQ(replay<UpdateEncoderV1>(walk.tape), kDocV1);
  EXPECT_EQ(replay<UpdateEncoderV2>(walk.tape), kDocV2);
}

TEST(UpdateCodec, MergedUpdatesWithSkipRoundTrip) {
  const Walk v2 = walk_update<UpdateDecoderV2>(kSkipV2);
  EXPECT_EQ(v2.listing, kSkipListing);
  EXPECT_EQ(replay<UpdateEncoderV2>(v2.tape), kSkipV2);
  const Walk v1 = walk_update<UpdateDecoderV1>(kSkipV1);
  EXPECT_EQ(v1.listing, kSkipListing);
  EXPECT_EQ(replay<UpdateEncoderV1>(v1.tape), kSkipV1);
}

TEST(UpdateCodec, V2KeyCacheReferencesResolveLikeYjs) {
  const Walk walk = walk_update<UpdateDecoderV2>(kKeyCacheV2);
  EXPECT_EQ(walk.listing, kKeyCacheListing);
  // Our encoder, like Yjs's, writes every key in full; the result reads back the same.
  const Bytes reencoded = replay<UpdateEncoderV2>(walk.tape);
  EXPECT_NE(reencoded, kKeyCacheV2);
  EXPECT_EQ(walk_update<UpdateDecoderV2>(reencoded).listing, kKeyCacheListing);
}

const std::uint64_t kCallClients[] = {
    0, 0, 0, 5, 5, 1, 0, std::uint64_t{1} << 32, kMaxSafeInteger, kMaxSafeInteger};

// The calls behind kCallsV2 and kCallsV1.
template <typename Encoder>
Bytes write_call_sequence() {
  Encoder e;
  for (const std::uint64_t client : kCallClients) {
    e.write_client(client);
  }
  const std::vector<Clock> lefts = {
      0, 1, 2, 3, 10, 10, 10, 5, 0, kMaxSafeInteger, kMaxSafeInteger - 1};
  for (std::size_t i = 0; i < lefts.size(); ++i) e.write_left_id(Id{i, lefts[i]});
  for (const int info : {1, 1, 7, 0, 0, 0, 255}) e.write_info(static_cast<std::uint8_t>(info));
  for (const char* s :
       {"", "a", "\xc3\xa9", "\xf0\x9f\x98\x80", "ab", "long string over nineteen units", ""}) {
    e.write_string(s);
  }
  for (const bool b : {true, true, false}) e.write_parent_info(b);
  for (const std::uint32_t t : {0u, 0u, 6u}) e.write_type_ref(t);
  for (const std::uint64_t len : {0u, 0u, 3u, 3u, 3u, 1u}) e.write_len(len);
  for (const Clock c : {4u, 4u, 6u}) e.write_right_id(Id{1, c});
  e.write_key("k1");
  e.write_key("k1");
  e.write_key("k2");
  e.reset_ds_cur_val();
  e.write_ds_clock(5);
  e.write_ds_len(1);
  e.write_ds_clock(10);
  e.write_ds_len(300);
  e.write_any(Any{Any::Object{{"x", Any{1.0}}}});
  e.write_buf(Bytes{1, 2});
  e.write_json(R"({"j":[1.5]})");
  return e.to_bytes();
}

template <typename Decoder>
void read_call_sequence(const Bytes& bytes) {
  Decoder d(bytes);
  for (const std::uint64_t client : kCallClients) {
    EXPECT_EQ(d.read_client(), client);
  }
  const std::vector<Clock> lefts = {
      0, 1, 2, 3, 10, 10, 10, 5, 0, kMaxSafeInteger, kMaxSafeInteger - 1};
  for (std::size_t i = 0; i < lefts.size(); ++i) EXPECT_EQ(d.read_left_id(), (Id{i, lefts[i]}));
  for (const int info : {1, 1, 7, 0, 0, 0, 255}) EXPECT_EQ(d.read_info(), info);
  for (const char* s :
       {"", "a", "\xc3\xa9", "\xf0\x9f\x98\x80", "ab", "long string over nineteen units", ""}) {
    EXPECT_EQ(d.read_string(), s);
  }
  for (const bool b : {true, true, false}) EXPECT_EQ(d.read_parent_info(), b);
  for (const std::uint32_t t : {0u, 0u, 6u}) EXPECT_EQ(d.read_type_ref(), t);
  for (const std::uint64_t len : {0u, 0u, 3u, 3u, 3u, 1u}) EXPECT_EQ(d.read_len(), len);
  for (const Clock c : {4u, 4u, 6u}) EXPECT_EQ(d.read_right_id(), (Id{1, c}));
  EXPECT_EQ(d.read_key(), "k1");
  EXPECT_EQ(d.read_key(), "k1");
  EXPECT_EQ(d.read_key(), "k2");
  d.reset_ds_cur_val();
  EXPECT_EQ(d.read_ds_clock(), 5u);
  EXPECT_EQ(d.read_ds_len(), 1u);
  EXPECT_EQ(d.read_ds_clock(), 10u);
  EXPECT_EQ(d.read_ds_len(), 300u);
  EXPECT_EQ(d.read_any(), (Any{Any::Object{{"x", Any{1.0}}}}));
  const auto buf = d.read_buf();
  EXPECT_EQ(Bytes(buf.begin(), buf.end()), (Bytes{1, 2}));
  EXPECT_EQ(d.read_json().json, R"({"j":[1.5]})");
  EXPECT_TRUE(d.rest().done());
}

TEST(UpdateCodec, EncoderCallsMatchYjsEncoders) {
  EXPECT_EQ(write_call_sequence<UpdateEncoderV2>(), kCallsV2);
  EXPECT_EQ(write_call_sequence<UpdateEncoderV1>(), kCallsV1);
}

TEST(UpdateCodec, DecoderCallsReadBackWhatWasWritten) {
  read_call_sequence<UpdateDecoderV2>(kCallsV2);
  read_call_sequence<UpdateDecoderV1>(kCallsV1);
}

TEST(UpdateCodec, V2StringLengthsSplittingASurrogatePairGiveReplacementCharacters) {
  UpdateDecoderV2 d(kSplitPairV2);
  EXPECT_EQ(d.read_string(), "a\xef\xbf\xbd");
  EXPECT_EQ(d.read_string(),
            "\xef\xbf\xbd"
            "b");
  EXPECT_EQ(d.read_string(), "\xef\xbf\xbd");
  EXPECT_EQ(d.read_string(), "");
  EXPECT_EQ(d.read_string(), "\xef\xbf\xbd");
  EXPECT_EQ(d.read_string(), "\xf0\x9f\x98\x80");
  // The lengths column ends with a count of one, so there is nothing more to read.
  EXPECT_THROW(d.read_string(), DecodeError);
}

TEST(UpdateCodec, V2RandomStringsRoundTrip) {
  // Mixed ASCII and multi-byte text exercises the word-at-a-time paths of the string column.
  const unsigned seed = std::random_device{}();
  std::printf("V2RandomStringsRoundTrip seed=%u\n", seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> pieces = {
      "a", "b", " ", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "xyz"};
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> strings;
    std::vector<bool> is_key;
    UpdateEncoderV2 encoder;
    const int count = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < count; ++i) {
      std::string text;
      const int length = static_cast<int>(rng() % 40);
      for (int k = 0; k < length; ++k) text += pieces[rng() % pieces.size()];
      strings.push_back(text);
      is_key.push_back(rng() % 4 == 0);
      if (is_key.back()) {
        encoder.write_key(text);
      } else {
        encoder.write_string(text);
      }
    }
    const Bytes bytes = encoder.to_bytes();
    UpdateDecoderV2 decoder(bytes);
    for (std::size_t i = 0; i < strings.size(); ++i) {
      const std::string_view read = is_key[i] ? decoder.read_key() : decoder.read_string();
      ASSERT_EQ(read, strings[i]) << "seed " << seed << " round " << round << " string " << i;
    }
  }
}

TEST(UpdateCodec, V2StringViewsPointIntoTheInput) {
  UpdateDecoderV2 d(kSkipV2);
  // Same calls as the walker: client count, struct count, client, clock, info, parent info.
  d.rest().read_var_uint();
  d.rest().read_var_uint();
  d.read_client();
  d.rest().read_var_uint();
  d.read_info();
  d.read_parent_info();
  const std::string_view root = d.read_string();
  EXPECT_EQ(root, "t");
  EXPECT_GE(reinterpret_cast<const std::uint8_t*>(root.data()), kSkipV2.data());
  EXPECT_LT(reinterpret_cast<const std::uint8_t*>(root.data()), kSkipV2.data() + kSkipV2.size());
}

TEST(UpdateCodec, EveryTruncationThrowsDecodeError) {
  for (const Bytes* update : {&kDocV2, &kSkipV2, &kKeyCacheV2}) {
    for (std::size_t cut = 0; cut < update->size(); ++cut) {
      const Bytes prefix(update->begin(), update->begin() + static_cast<std::ptrdiff_t>(cut));
      EXPECT_THROW(walk_update<UpdateDecoderV2>(prefix), DecodeError) << "v2 cut at " << cut;
    }
  }
  for (const Bytes* update : {&kDocV1, &kSkipV1}) {
    for (std::size_t cut = 0; cut < update->size(); ++cut) {
      const Bytes prefix(update->begin(), update->begin() + static_cast<std::ptrdiff_t>(cut));
      EXPECT_THROW(walk_update<UpdateDecoderV1>(prefix), DecodeError) << "v1 cut at " << cut;
    }
  }
}

TEST(UpdateCodec, MalformedColumnsThrowDecodeError) {
  // A column whose declared length runs past the end.
  EXPECT_THROW(UpdateDecoderV2(Bytes{0x00, 0x05, 0x01}), DecodeError);
  // A string column that is not UTF-8.
  EXPECT_THROW(UpdateDecoderV2(
                   Bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0xff, 0x00, 0x00, 0x00}),
               DecodeError);
  // A string length past the end of the joined strings: "ab" with a length of 3.
  const Bytes too_long_bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
                             0x02, 'a',  'b',  0x03, 0x00, 0x00, 0x00};
  UpdateDecoderV2 too_long(too_long_bytes);
  EXPECT_THROW(too_long.read_string(), DecodeError);
  // Reading a column that holds nothing.
  const Bytes empty_bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  UpdateDecoderV2 empty(empty_bytes);
  EXPECT_THROW(empty.read_info(), DecodeError);
  EXPECT_THROW(empty.read_client(), DecodeError);
  EXPECT_THROW(empty.read_left_id(), DecodeError);
  EXPECT_THROW(empty.read_len(), DecodeError);
  EXPECT_THROW(empty.read_string(), DecodeError);
  EXPECT_THROW(empty.read_key(), DecodeError);
  // A left clock going below zero: IntDiffOptRle varInt(-1 * 2) = 0x42.
  const Bytes negative_clock_bytes{0x00, 0x00, 0x01, 0x01, 0x01, 0x42, 0x00,
                                   0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  UpdateDecoderV2 negative_clock(negative_clock_bytes);
  EXPECT_THROW(negative_clock.read_left_id(), DecodeError);
  // Delete set clocks past 2^53 - 1.
  const Bytes huge_ds_bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                            0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  UpdateDecoderV2 huge_ds(huge_ds_bytes);
  EXPECT_THROW(huge_ds.read_ds_clock(), DecodeError);
  // v1: a client id past 2^53 - 1 and a type ref past 2^32 - 1.
  const Bytes big = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10};
  UpdateDecoderV1 v1_client(big);
  EXPECT_THROW(v1_client.read_client(), DecodeError);
  const Bytes big_ref = {0x80, 0x80, 0x80, 0x80, 0x10};
  UpdateDecoderV1 v1_ref(big_ref);
  EXPECT_THROW(v1_ref.read_type_ref(), DecodeError);
  // v1 JSON that is not JSON (Yjs's JSON.parse would throw too).
  const Bytes bad_json = {0x03, '{', 'a', '}'};
  UpdateDecoderV1 v1_json(bad_json);
  EXPECT_THROW(v1_json.read_json(), DecodeError);
}

TEST(UpdateCodec, V1JsonIsReprintedAsJsonStringifyWould) {
  // Yjs reads v1 JSON with JSON.parse and writes it back with JSON.stringify.
  Encoder e;
  e.write_var_string(R"( { "a" : 1.50 , "b" : [ 1e2 ] } )");
  const Bytes bytes = e.take();
  UpdateDecoderV1 d(bytes);
  EXPECT_EQ(d.read_json().json, R"({"a":1.5,"b":[100]})");
}

TEST(UpdateCodec, V2JsonLiteralsAndValuesRoundTrip) {
  UpdateEncoderV2 encoder;
  const std::vector<std::string> texts = {"true",      "false", "null", R"({"a":[1,"x"]})",
                                          "undefined", "0.5"};
  for (const auto& text : texts) encoder.write_json(text);
  const Bytes bytes = encoder.to_bytes();
  UpdateDecoderV2 decoder(bytes);
  for (const auto& text : texts) EXPECT_EQ(decoder.read_json().json, text);
  EXPECT_TRUE(decoder.rest().done());
}

TEST(UpdateCodec, RandomCorruptionThrowsDecodeErrorOrDecodes) {
  const unsigned seed = std::random_device{}();
  std::printf("RandomCorruptionThrowsDecodeErrorOrDecodes seed=%u\n", seed);
  std::mt19937 rng(seed);
  int decoded = 0;
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    const bool v2 = round % 2 == 0;
    Bytes update = v2 ? kDocV2 : kDocV1;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      update[rng() % update.size()] = static_cast<std::uint8_t>(rng());
    }
    try {
      if (v2) {
        walk_update<UpdateDecoderV2>(update);
      } else {
        walk_update<UpdateDecoderV1>(update);
      }
      ++decoded;
    } catch (const DecodeError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0) << "seed " << seed;
  EXPECT_EQ(decoded + refused, 3000) << "seed " << seed;
}

TEST(UpdateCodec, EncoderRejectsImpossibleDeleteSets) {
  UpdateEncoderV2 e;
  EXPECT_THROW(e.write_ds_len(0), std::invalid_argument);
  e.write_ds_clock(10);
  EXPECT_THROW(e.write_ds_clock(3), std::invalid_argument);
}

TEST(UpdateCodec, EmptyUpdatesMatchYjs) {
  // Y.encodeStateAsUpdate(new Y.Doc()) is 00 00 (notes/yjs.md); v2 prints
  // 00 00 00 00 00 00 01 00 00 00 00 00 00 (the string column is varString("")).
  UpdateEncoderV1 v1;
  v1.rest().write_var_uint(0);
  v1.rest().write_var_uint(0);
  EXPECT_EQ(v1.to_bytes(), (Bytes{0x00, 0x00}));
  UpdateEncoderV2 v2;
  v2.rest().write_var_uint(0);
  v2.rest().write_var_uint(0);
  EXPECT_EQ(v2.to_bytes(), kEmptyV2);
}

}  // namespace
}  // namespace agora::crdt
