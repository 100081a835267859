#include "crdt/html.hpp"
#include "crdt/test_bytes.hpp"

#include "crdt/doc.hpp"
#include "crdt/item.hpp"
#include "crdt/lib0.hpp"
#include "crdt/readers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Reference data: Y.encodeStateAsUpdate (v1) of documents built with Yjs 13.6.33 in node, each
// on doc.getXmlFragment('prosemirror'), written the way y-prosemirror's
// createTypeFromElementNode / createTypeFromTextNodes write ProseMirror nodes: an element is
// new Y.XmlElement(node.type.name) with setAttribute(key, value) for every non-null attr; a run
// of text nodes is one Y.XmlText filled by applyDelta([{insert, attributes: {markName:
// mark.attrs}}]). The generator script is kept out of the repository; the *YjsString constants
// are fragment.toString() as Yjs printed it, to check the fixtures decode as Yjs sees them.
// Below, p(...) is a paragraph with one XmlText, link(h) the mark value {href: h, target:
// '_blank'}.
//
// kMarks (client 11): paragraph [XmlText: 'plain ', 'bold' {bold: {}}, ' ', 'both' {bold: {},
//   italic: {}}, 'u' {underline: {}}, 's' {strike: {}}, 'c' {code: {}}, 'all' {every mark and
//   link L}, 'link' {link: L}, 'lb' {link: L, bold: {}}, 'hl' {highlight: {color: 'red'}},
//   'cm' {'comment--AbCd12+/': {id: 1}}, 'b2' {'bold--Xy9876==': {}}; hardBreak; XmlText
//   'after'] where L = {href: 'https://example.com/a?b=1&c=2', target: '_blank', rel: 'noopener
//   noreferrer nofollow', class: null}.
// kBlocks (client 12): heading level 1, 2, 9, 0, '3'; bulletList [listItem [p('one'),
//   orderedList start 3 [listItem [p('nested')]]], listItem [p('two')]]; orderedList start 1
//   [listItem [p('first')]]; taskList [taskItem checked true [p('done')], taskItem checked false
//   [p('todo')]]; blockquote [p('quote one'), p('quote two')]; codeBlock language 'js'
//   'let a = 1 < 2;\nb();'; codeBlock language null 'plain code'; codeBlock language
//   'x" onmouseover="alert(1)' 'x'; horizontalRule; p('end').
// kTable (client 13): table [tableRow [tableHeader {colspan 1, rowspan 1} [p('H1')], tableHeader
//   {colspan 2, rowspan 1, colwidth [100, 120]} [p('H2')]], tableRow [tableCell {colspan 1,
//   rowspan 2, colwidth [80]} [p('a')], tableCell {colspan -1, rowspan 1.5} [p('b1'), p('b2')],
//   tableCell {colspan '2" onclick="x', rowspan 0} [empty paragraph]]]; p('after table').
// kImages (client 14): image {src 'https://example.com/cat.png', alt 'A "cat" & <dog>', title
//   "it's"}; paragraph ['see ', image {src '/img/x.png', alt 'rel'}, ' here']; images with alt
//   'js', 'data', 'mixed', 'vb' and src 'javascript:alert(1)', 'data:image/png;base64,AAAA',
//   ' JaVaScRiPt:alert(1)', 'vbscript:msgbox(1)'; image {src 'x.png', alt 'on', onerror
//   'alert(1)'}; image {src 'http://x/a.png" onerror="alert(1)', alt 'q" onerror="alert(2)'}.
// kXss (client 15): p('<script>alert("x")</script> & \'q\''); paragraph of one-letter runs a..g
//   with link('javascript:alert(1)'), link('JAVASCRIPT:alert(1)'), link('java\tscript:alert(1)'),
//   link(' javascript:alert(1)'), link('vbscript:msgbox(1)'),
//   link('data:text/html,<script>alert(1)</script>'), link('https://ok.example/"onmouseover=
//   "alert(1)'); paragraph of runs m, t, r, h, n, s with link('mailto:a@b.c'), link('tel:+123'),
//   link('/relative?x=1&y=2'), link('#anchor'), {link: {target: '_blank'}}, {link:
//   'https://string.example'}; paragraph {class '"><script>alert(1)</script>', onclick
//   'alert(1)'} 'attrs'; heading {level '1 onclick=alert(1)'} 'lvl'; orderedList {start
//   '1" onclick="x'} [listItem [p('li')]]; element 'script' ['alert(1)']; element
//   'img onerror=alert(1)' ['odd name'].
// kUnknown (client 16): details {open true} [p('inside one'), p('inside two')]; paragraph ['hi ',
//   mention {id 'u1', label 'Ann'}, customInline ['inner'], ' bye']; paragraph [XmlText 'before '
//   + insertEmbed({image: 'x.png'}) + ' after']; Y.XmlHook('hook'); XmlText 'top level text'.
// kDeleted (client 17): p('gone paragraph'), paragraph ['keep this text', 'bold' {bold: {}}],
//   heading {level 3} 'head', bulletList [listItem [p('gone item')]], image {src
//   'https://example.com/a.png', alt 'alt'}, p('last'); then the first paragraph deleted,
//   ' this' deleted, 'bold' formatted {bold: null}, the heading's level removed, the list
//   deleted and the image's src removed.
// kDeep3 (client 18): blockquote [blockquote [blockquote [p('deep')]]].
// kEmptyParagraph (client 19): one paragraph without children.

constexpr std::string_view kMarks =
    "01360b0007010b70726f73656d6972726f72030970617261677261706807000b000604000b0106706c61696e"
    "20860b0704626f6c64027b7d840b0804626f6c64860b0c04626f6c64046e756c6c840b0d0120860b0e04626f"
    "6c64027b7d860b0f066974616c6963027b7d840b1004626f7468860b1404626f6c64046e756c6c860b150669"
    "74616c6963046e756c6c860b1609756e6465726c696e65027b7d840b170175860b1809756e6465726c696e65"
    "046e756c6c860b1906737472696b65027b7d840b1a0173860b1b06737472696b65046e756c6c860b1c04636f"
    "6465027b7d840b1d0163860b1e04636f6465046e756c6c860b1f04636f6465027b7d860b2006737472696b65"
    "027b7d860b2109756e6465726c696e65027b7d860b22066974616c6963027b7d860b2304626f6c64027b7d86"
    "0b24046c696e6b6c7b2268726566223a2268747470733a2f2f6578616d706c652e636f6d2f613f623d312663"
    "3d32222c22746172676574223a225f626c616e6b222c2272656c223a226e6f6f70656e6572206e6f72656665"
    "72726572206e6f666f6c6c6f77222c22636c617373223a6e756c6c7d840b2503616c6c860b2804636f646504"
    "6e756c6c860b2906737472696b65046e756c6c860b2a09756e6465726c696e65046e756c6c860b2b06697461"
    "6c6963046e756c6c860b2c04626f6c64046e756c6c860b2d046c696e6b046e756c6c860b2e046c696e6b6c7b"
    "2268726566223a2268747470733a2f2f6578616d706c652e636f6d2f613f623d3126633d32222c2274617267"
    "6574223a225f626c616e6b222c2272656c223a226e6f6f70656e6572206e6f7265666572726572206e6f666f"
    "6c6c6f77222c22636c617373223a6e756c6c7d840b2f046c696e6b860b33046c696e6b046e756c6c860b3404"
    "6c696e6b6c7b2268726566223a2268747470733a2f2f6578616d706c652e636f6d2f613f623d3126633d3222"
    "2c22746172676574223a225f626c616e6b222c2272656c223a226e6f6f70656e6572206e6f72656665727265"
    "72206e6f666f6c6c6f77222c22636c617373223a6e756c6c7d860b3504626f6c64027b7d840b36026c62860b"
    "38046c696e6b046e756c6c860b3904626f6c64046e756c6c860b3a09686967686c696768740f7b22636f6c6f"
    "72223a22726564227d840b3b02686c860b3d09686967686c69676874046e756c6c860b3e11636f6d6d656e74"
    "2d2d4162436431322b2f087b226964223a317d840b3f02636d860b4111636f6d6d656e742d2d416243643132"
    "2b2f046e756c6c860b420e626f6c642d2d5879393837363d3d027b7d840b43026232860b450e626f6c642d2d"
    "5879393837363d3d046e756c6c870b01030968617264427265616b870b470604000b4805616674657200";
constexpr std::string_view kMarksYjsString =
    "<paragraph>plain <bold>bold</bold> <bold><italic>both</italic></bold><underl"
    "ine>u</underline><strike>s</strike><code>c</code><bold><code><italic><link c"
    "lass=\"null\" href=\"https://example.com/a?b=1&c=2\" rel=\"noopener noreferrer no"
    "follow\" target=\"_blank\"><strike><underline>all</underline></strike></link></"
    "italic></code></bold><link class=\"null\" href=\"https://example.com/a?b=1&c=2\""
    " rel=\"noopener noreferrer nofollow\" target=\"_blank\">link</link><bold><link c"
    "lass=\"null\" href=\"https://example.com/a?b=1&c=2\" rel=\"noopener noreferrer no"
    "follow\" target=\"_blank\">lb</link></bold><highlight color=\"red\">hl</highlight"
    "><comment--AbCd12+/ id=\"1\">cm</comment--AbCd12+/><bold--Xy9876==>b2</bold--X"
    "y9876==><hardbreak></hardbreak>after</paragraph>";

constexpr std::string_view kBlocks =
    "014a0c0007010b70726f73656d6972726f72030768656164696e6707000c000604000c010548206f6e652800"
    "0c00056c6576656c017d01870c00030768656164696e6707000c080604000c0905482074776f28000c08056c"
    "6576656c017d02870c08030768656164696e6707000c100604000c110648206e696e6528000c10056c657665"
    "6c017d09870c10030768656164696e6707000c190604000c1a0648207a65726f28000c19056c6576656c017d"
    "00870c19030768656164696e6707000c220604000c2305482073747228000c22056c6576656c01770133870c"
    "22030a62756c6c65744c69737407000c2a03086c6973744974656d07000c2b03097061726167726170680700"
    "0c2c0604000c2d036f6e65870c2c030b6f7264657265644c69737407000c3103086c6973744974656d07000c"
    "32030970617261677261706807000c330604000c34066e657374656428000c31057374617274017d03870c2b"
    "03086c6973744974656d07000c3c030970617261677261706807000c3d0604000c3e0374776f870c2a030b6f"
    "7264657265644c69737407000c4203086c6973744974656d07000c43030970617261677261706807000c4406"
    "04000c4505666972737428000c42057374617274017d01870c4203087461736b4c69737407000c4c03087461"
    "736b4974656d07000c4d030970617261677261706807000c4e0604000c4f04646f6e6528000c4d0763686563"
    "6b65640178870c4d03087461736b4974656d07000c55030970617261677261706807000c560604000c570474"
    "6f646f28000c5507636865636b65640179870c4c030a626c6f636b71756f746507000c5d0309706172616772"
    "61706807000c5e0604000c5f0971756f7465206f6e65870c5e030970617261677261706807000c690604000c"
    "6a0971756f74652074776f870c5d0309636f6465426c6f636b07000c740604000c75136c65742061203d2031"
    "203c20323b0a6228293b28000c74086c616e67756167650177026a73870c740309636f6465426c6f636b0700"
    "0c8a010604000c8b010a706c61696e20636f6465870c8a010309636f6465426c6f636b07000c96010604000c"
    "9701017828000c9601086c616e67756167650177187822206f6e6d6f7573656f7665723d22616c6572742831"
    "29870c9601030e686f72697a6f6e74616c52756c65870c9a01030970617261677261706807000c9b01060400"
    "0c9c0103656e6400";
constexpr std::string_view kBlocksYjsString =
    "<heading level=\"1\">H one</heading><heading level=\"2\">H two</heading><heading"
    " level=\"9\">H nine</heading><heading level=\"0\">H zero</heading><heading level"
    "=\"3\">H str</heading><bulletlist><listitem><paragraph>one</paragraph><ordered"
    "list start=\"3\"><listitem><paragraph>nested</paragraph></listitem></orderedli"
    "st></listitem><listitem><paragraph>two</paragraph></listitem></bulletlist><o"
    "rderedlist start=\"1\"><listitem><paragraph>first</paragraph></listitem></orde"
    "redlist><tasklist><taskitem checked=\"true\"><paragraph>done</paragraph></task"
    "item><taskitem checked=\"false\"><paragraph>todo</paragraph></taskitem></taskl"
    "ist><blockquote><paragraph>quote one</paragraph><paragraph>quote two</paragr"
    "aph></blockquote><codeblock language=\"js\">let a = 1 < 2;\nb();</codeblock><co"
    "deblock>plain code</codeblock><codeblock language=\"x\" onmouseover=\"alert(1)\""
    ">x</codeblock><horizontalrule></horizontalrule><paragraph>end</paragraph>";

constexpr std::string_view kTable =
    "01270d0007010b70726f73656d6972726f7203057461626c6507000d0003087461626c65526f7707000d0103"
    "0b7461626c6548656164657207000d02030970617261677261706807000d030604000d0402483128000d0207"
    "636f6c7370616e017d0128000d0207726f777370616e017d01870d02030b7461626c6548656164657207000d"
    "09030970617261677261706807000d0a0604000d0b02483228000d0907636f6c7370616e017d0228000d0907"
    "726f777370616e017d0128000d0908636f6c77696474680175027da4017db801870d0103087461626c65526f"
    "7707000d1103097461626c6543656c6c07000d12030970617261677261706807000d130604000d1401612800"
    "0d1207636f6c7370616e017d0128000d1207726f777370616e017d0228000d1208636f6c7769647468017501"
    "7d9001870d1203097461626c6543656c6c07000d19030970617261677261706807000d1a0604000d1b026231"
    "870d1a030970617261677261706807000d1e0604000d1f02623228000d1907636f6c7370616e017d4128000d"
    "1907726f777370616e017c3fc00000870d1903097461626c6543656c6c07000d240309706172616772617068"
    "28000d2407636f6c7370616e01770d3222206f6e636c69636b3d227828000d2407726f777370616e017d0087"
    "0d00030970617261677261706807000d280604000d290b6166746572207461626c6500";
constexpr std::string_view kTableYjsString =
    "<table><tablerow><tableheader colspan=\"1\" rowspan=\"1\"><paragraph>H1</paragra"
    "ph></tableheader><tableheader colspan=\"2\" colwidth=\"100,120\" rowspan=\"1\"><pa"
    "ragraph>H2</paragraph></tableheader></tablerow><tablerow><tablecell colspan="
    "\"1\" colwidth=\"80\" rowspan=\"2\"><paragraph>a</paragraph></tablecell><tablecell"
    " colspan=\"-1\" rowspan=\"1.5\"><paragraph>b1</paragraph><paragraph>b2</paragrap"
    "h></tablecell><tablecell colspan=\"2\" onclick=\"x\" rowspan=\"0\"><paragraph></pa"
    "ragraph></tablecell></tablerow></table><paragraph>after table</paragraph>";

constexpr std::string_view kImages =
    "011f0e0007010b70726f73656d6972726f720305696d61676528000e000373726301771b68747470733a2f2f"
    "6578616d706c652e636f6d2f6361742e706e6728000e0003616c7401770f412022636174222026203c646f67"
    "3e28000e00057469746c6501770469742773870e00030970617261677261706807000e040604000e05047365"
    "6520870e050305696d61676528000e0a0373726301770a2f696d672f782e706e6728000e0a03616c74017703"
    "72656c870e0a0604000e0d052068657265870e040305696d61676528000e13037372630177136a6176617363"
    "726970743a616c65727428312928000e1303616c740177026a73870e130305696d61676528000e1603737263"
    "01771a646174613a696d6167652f706e673b6261736536342c4141414128000e1603616c7401770464617461"
    "870e160305696d61676528000e1903737263017714204a6156615363526950743a616c65727428312928000e"
    "1903616c740177056d69786564870e190305696d61676528000e1c0373726301771276627363726970743a6d"
    "7367626f7828312928000e1c03616c740177027662870e1c0305696d61676528000e1f03737263017705782e"
    "706e6728000e1f03616c740177026f6e28000e1f076f6e6572726f72017708616c657274283129870e1f0305"
    "696d61676528000e2303737263017721687474703a2f2f782f612e706e6722206f6e6572726f723d22616c65"
    "727428312928000e2303616c740177147122206f6e6572726f723d22616c65727428322900";
constexpr std::string_view kImagesYjsString =
    "<image alt=\"A \"cat\" & <dog>\" src=\"https://example.com/cat.png\" title=\"it's\">"
    "</image><paragraph>see <image alt=\"rel\" src=\"/img/x.png\"></image> here</para"
    "graph><image alt=\"js\" src=\"javascript:alert(1)\"></image><image alt=\"data\" sr"
    "c=\"data:image/png;base64,AAAA\"></image><image alt=\"mixed\" src=\" JaVaScRiPt:a"
    "lert(1)\"></image><image alt=\"vb\" src=\"vbscript:msgbox(1)\"></image><image alt"
    "=\"on\" onerror=\"alert(1)\" src=\"x.png\"></image><image alt=\"q\" onerror=\"alert(2"
    ")\" src=\"http://x/a.png\" onerror=\"alert(1)\"></image>";

constexpr std::string_view kXss =
    "01430f0007010b70726f73656d6972726f72030970617261677261706807000f000604000f01213c73637269"
    "70743e616c65727428227822293c2f7363726970743e202620277127870f0003097061726167726170680700"
    "0f230606000f24046c696e6b307b2268726566223a226a6176617363726970743a616c657274283129222c22"
    "746172676574223a225f626c616e6b227d840f250161860f26046c696e6b046e756c6c860f27046c696e6b30"
    "7b2268726566223a224a4156415343524950543a616c657274283129222c22746172676574223a225f626c61"
    "6e6b227d840f280162860f29046c696e6b046e756c6c860f2a046c696e6b327b2268726566223a226a617661"
    "5c747363726970743a616c657274283129222c22746172676574223a225f626c616e6b227d840f2b0163860f"
    "2c046c696e6b046e756c6c860f2d046c696e6b317b2268726566223a22206a6176617363726970743a616c65"
    "7274283129222c22746172676574223a225f626c616e6b227d840f2e0164860f2f046c696e6b046e756c6c86"
    "0f30046c696e6b2f7b2268726566223a2276627363726970743a6d7367626f78283129222c22746172676574"
    "223a225f626c616e6b227d840f310165860f32046c696e6b046e756c6c860f33046c696e6b457b2268726566"
    "223a22646174613a746578742f68746d6c2c3c7363726970743e616c6572742831293c2f7363726970743e22"
    "2c22746172676574223a225f626c616e6b227d840f340166860f35046c696e6b046e756c6c860f36046c696e"
    "6b487b2268726566223a2268747470733a2f2f6f6b2e6578616d706c652f5c226f6e6d6f7573656f7665723d"
    "5c22616c657274283129222c22746172676574223a225f626c616e6b227d840f370167860f38046c696e6b04"
    "6e756c6c870f23030970617261677261706807000f3a0606000f3b046c696e6b297b2268726566223a226d61"
    "696c746f3a6140622e63222c22746172676574223a225f626c616e6b227d840f3c016d860f3d046c696e6b04"
    "6e756c6c860f3e046c696e6b257b2268726566223a2274656c3a2b313233222c22746172676574223a225f62"
    "6c616e6b227d840f3f0174860f40046c696e6b046e756c6c860f41046c696e6b2e7b2268726566223a222f72"
    "656c61746976653f783d3126793d32222c22746172676574223a225f626c616e6b227d840f420172860f4304"
    "6c696e6b046e756c6c860f44046c696e6b247b2268726566223a2223616e63686f72222c2274617267657422"
    "3a225f626c616e6b227d840f450168860f46046c696e6b046e756c6c860f47046c696e6b137b227461726765"
    "74223a225f626c616e6b227d840f48016e860f49046c696e6b046e756c6c860f4a046c696e6b182268747470"
    "733a2f2f737472696e672e6578616d706c6522840f4b0173860f4c046c696e6b046e756c6c870f3a03097061"
    "7261677261706807000f4e0604000f4f05617474727328000f4e05636c61737301771b223e3c736372697074"
    "3e616c6572742831293c2f7363726970743e28000f4e076f6e636c69636b017708616c657274283129870f4e"
    "030768656164696e6707000f570604000f58036c766c28000f57056c6576656c01771231206f6e636c69636b"
    "3d616c657274283129870f57030b6f7264657265644c69737407000f5d03086c6973744974656d07000f5e03"
    "0970617261677261706807000f5f0604000f60026c6928000f5d05737461727401770d3122206f6e636c6963"
    "6b3d2278870f5d030673637269707407000f640604000f6508616c657274283129870f640314696d67206f6e"
    "6572726f723d616c65727428312907000f6e0604000f6f086f6464206e616d6500";
constexpr std::string_view kXssYjsString =
    "<paragraph><script>alert(\"x\")</script> & 'q'</paragraph><paragraph><link hre"
    "f=\"javascript:alert(1)\" target=\"_blank\">a</link><link href=\"JAVASCRIPT:alert"
    "(1)\" target=\"_blank\">b</link><link href=\"java\tscript:alert(1)\" target=\"_blan"
    "k\">c</link><link href=\" javascript:alert(1)\" target=\"_blank\">d</link><link h"
    "ref=\"vbscript:msgbox(1)\" target=\"_blank\">e</link><link href=\"data:text/html,"
    "<script>alert(1)</script>\" target=\"_blank\">f</link><link href=\"https://ok.ex"
    "ample/\"onmouseover=\"alert(1)\" target=\"_blank\">g</link></paragraph><paragraph"
    "><link href=\"mailto:a@b.c\" target=\"_blank\">m</link><link href=\"tel:+123\" tar"
    "get=\"_blank\">t</link><link href=\"/relative?x=1&y=2\" target=\"_blank\">r</link>"
    "<link href=\"#anchor\" target=\"_blank\">h</link><link target=\"_blank\">n</link><"
    "link 0=\"h\" 1=\"t\" 10=\"r\" 11=\"i\" 12=\"n\" 13=\"g\" 14=\".\" 15=\"e\" 16=\"x\" 17=\"a\" "
    "18="
    "\"m\" 19=\"p\" 2=\"t\" 20=\"l\" 21=\"e\" 3=\"p\" 4=\"s\" 5=\":\" 6=\"/\" 7=\"/\" 8=\"s\" "
    "9=\"t\">s</"
    "link></paragraph><paragraph class=\"\"><script>alert(1)</script>\" onclick=\"ale"
    "rt(1)\">attrs</paragraph><heading level=\"1 onclick=alert(1)\">lvl</heading><or"
    "deredlist start=\"1\" onclick=\"x\"><listitem><paragraph>li</paragraph></listite"
    "m></orderedlist><script>alert(1)</script><img onerror=alert(1)>odd name</img"
    " onerror=alert(1)>";

constexpr std::string_view kUnknown =
    "011b100007010b70726f73656d6972726f72030764657461696c730700100003097061726167726170680700"
    "100106040010020a696e73696465206f6e6587100103097061726167726170680700100d060400100e0a696e"
    "736964652074776f28001000046f70656e017887100003097061726167726170680700101a060400101b0368"
    "692087101b03076d656e74696f6e2800101f02696401770275312800101f056c6162656c017703416e6e8710"
    "1f030c637573746f6d496e6c696e6507001022060400102305696e6e65728710220604001029042062796587"
    "101a03097061726167726170680700102e060400102f076265666f72652087102e0504686f6f6b8710370604"
    "0010380e746f70206c6576656c2074657874851036117b22696d616765223a22782e706e67227d8410470620"
    "616674657200";
constexpr std::string_view kUnknownYjsString =
    "<details open=\"true\"><paragraph>inside one</paragraph><paragraph>inside two<"
    "/paragraph></details><paragraph>hi <mention id=\"u1\" label=\"Ann\"></mention><c"
    "ustominline>inner</custominline> bye</paragraph><paragraph>before [object Ob"
    "ject] after</paragraph>[object Object]top level text";

constexpr std::string_view kDeleted =
    "0116110001010b70726f73656d6972726f7201000f8711000309706172616772617068070011100604001111"
    "046b6565708111150584111a05207465787481111f0184112004626f6c648111240187111003076865616469"
    "6e67070011260604001127046865616421001126056c6576656c0181112601000c87112d0305696d61676521"
    "00113a03737263012800113a03616c74017703616c7487113a03097061726167726170680700113d06040011"
    "3e046c61737401110600101605200125012c0e3b01";
constexpr std::string_view kDeletedYjsString =
    "<paragraph>keep textbold</paragraph><heading>head</heading><image alt=\"alt\">"
    "</image><paragraph>last</paragraph>";

constexpr std::string_view kDeep3 =
    "0106120007010b70726f73656d6972726f72030a626c6f636b71756f746507001200030a626c6f636b71756f"
    "746507001201030a626c6f636b71756f74650700120203097061726167726170680700120306040012040464"
    "65657000";
constexpr std::string_view kDeep3YjsString =
    "<blockquote><blockquote><blockquote><paragraph>deep</paragraph></blockquote>"
    "</blockquote></blockquote>";

constexpr std::string_view kEmptyParagraph =
    "0101130007010b70726f73656d6972726f72030970617261677261706800";
constexpr std::string_view kEmptyParagraphYjsString = "<paragraph></paragraph>";

using test_bytes::from_hex;

// A document holding one update, and its 'prosemirror' fragment.
struct Fixture {
  explicit Fixture(const Bytes& update) : doc(std::make_unique<Doc>(1)) {
    const Result<void> applied = doc->apply_update(update);
    EXPECT_TRUE(applied.has_value()) << (applied ? "" : applied.error().message);
    EXPECT_FALSE(doc->has_pending());
  }
  explicit Fixture(std::string_view hex) : Fixture(from_hex(hex)) {}

  const Type& fragment() const { return doc->root("prosemirror", TypeKind::xml_fragment); }
  std::string html() const { return xml_to_html(fragment()); }
  std::string text() const { return xml_to_plain_text(fragment()); }

  std::unique_ptr<Doc> doc;
};

// The update Yjs writes for `depth` nested blockquotes around p('deep') inserted at once by
// client `client` (checked against kDeep3 below): every struct is the first child of the one
// before it, so each names its parent by id and none has an origin.
Bytes nested_blockquotes(int depth, std::uint64_t client) {
  Encoder encoder;
  encoder.write_var_uint(1);  // one client
  encoder.write_var_uint(static_cast<std::uint64_t>(depth) + 3);
  encoder.write_var_uint(client);
  encoder.write_var_uint(0);  // first clock
  auto parent = [&](std::uint64_t clock) {
    encoder.write_var_uint(0);  // parent by id
    encoder.write_var_uint(client);
    encoder.write_var_uint(clock);
  };
  for (int i = 0; i <= depth; ++i) {
    encoder.write_uint8(7);  // ContentType
    if (i == 0) {
      encoder.write_var_uint(1);  // parent is a root type
      encoder.write_var_string("prosemirror");
    } else {
      parent(static_cast<std::uint64_t>(i) - 1);
    }
    encoder.write_var_uint(3);  // XmlElement
    encoder.write_var_string(i < depth ? "blockquote" : "paragraph");
  }
  encoder.write_uint8(7);
  parent(static_cast<std::uint64_t>(depth));
  encoder.write_var_uint(6);  // XmlText
  encoder.write_uint8(4);     // ContentString
  parent(static_cast<std::uint64_t>(depth) + 1);
  encoder.write_var_string("deep");
  encoder.write_var_uint(0);  // empty delete set
  return encoder.take();
}

std::string repeat(std::string_view piece, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += piece;
  return out;
}

// Checks that `html` only holds allow-listed tags and attributes, with every attribute quoted
// and no quote, '<' or raw '>' left inside a value, and no text outside tags with '<' or '>'.
::testing::AssertionResult only_allowed_markup(const std::string& html) {
  static const std::set<std::string, std::less<>> kTags = {
      "p",  "h1",    "h2",         "h3",     "h4",   "h5", "h6", "ul",    "ol",
      "li", "input", "blockquote", "pre",    "code", "br", "hr", "table", "tr",
      "th", "td",    "img",        "strong", "em",   "u",  "s",  "a"};
  static const std::set<std::string, std::less<>> kAttributes = {
      "href",  "rel",     "src",     "alt",  "title",    "class",
      "start", "colspan", "rowspan", "type", "disabled", "checked"};
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] == '>')
      return ::testing::AssertionFailure() << "stray '>' at " << i << " in " << html;
    if (html[i] != '<') {
      ++i;
      continue;
    }
    ++i;
    if (i < html.size() && html[i] == '/') ++i;
    std::size_t name_end = html.find_first_of(" >", i);
    if (name_end == std::string::npos)
      return ::testing::AssertionFailure() << "unclosed tag in " << html;
    const std::string name = html.substr(i, name_end - i);
    if (!kTags.contains(name))
      return ::testing::AssertionFailure() << "tag <" << name << "> in " << html;
    i = name_end;
    while (html[i] == ' ') {
      ++i;
      const std::size_t attr_end = html.find_first_of("= >", i);
      if (attr_end == std::string::npos)
        return ::testing::AssertionFailure() << "bad attribute in " << html;
      const std::string attribute = html.substr(i, attr_end - i);
      if (!kAttributes.contains(attribute))
        return ::testing::AssertionFailure() << "attribute " << attribute << " in " << html;
      i = attr_end;
      if (html[i] == '=') {
        if (html[i + 1] != '"')
          return ::testing::AssertionFailure() << "unquoted value in " << html;
        const std::size_t value_end = html.find('"', i + 2);
        const std::string value = html.substr(i + 2, value_end - i - 2);
        if (value.find_first_of("<>'") != std::string::npos)
          return ::testing::AssertionFailure() << "unescaped value " << value << " in " << html;
        i = value_end + 1;
      }
    }
    if (html[i] != '>')
      return ::testing::AssertionFailure() << "unterminated tag at " << i << " in " << html;
    ++i;
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------

TEST(HtmlFixtures, DecodeAsYjsSeesThem) {
  const std::pair<std::string_view, std::string_view> fixtures[] = {
      {kMarks, kMarksYjsString},
      {kBlocks, kBlocksYjsString},
      {kTable, kTableYjsString},
      {kImages, kImagesYjsString},
      {kXss, kXssYjsString},
      {kUnknown, kUnknownYjsString},
      {kDeleted, kDeletedYjsString},
      {kDeep3, kDeep3YjsString},
      {kEmptyParagraph, kEmptyParagraphYjsString}};
  for (const auto& [update, yjs_string] : fixtures) {
    const Fixture fixture(update);
    EXPECT_EQ(xml_to_string(fixture.fragment()), yjs_string);
  }
}

TEST(HtmlRender, MarksNestInAFixedOrderAndShareOpenTags) {
  const Fixture doc(kMarks);
  EXPECT_EQ(
      doc.html(),
      "<p>plain <strong>bold</strong> <strong><em>both</em></strong><u>u</u><s>s</s><code>c</code>"
      "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">"
      "<strong><em><u><s><code>all</code></s></u></em></strong>link<strong>lb</strong></a>"
      "hlcm<strong>b2</strong><br>after</p>");
  EXPECT_EQ(doc.text(), "plain bold bothuscalllinklbhlcmb2\nafter");
}

TEST(HtmlRender, BlocksListsTasksQuotesCodeAndRules) {
  const Fixture doc(kBlocks);
  EXPECT_EQ(
      doc.html(),
      "<h1>H one</h1><h2>H two</h2><h6>H nine</h6><h1>H zero</h1><h3>H str</h3>"
      "<ul><li><p>one</p><ol start=\"3\"><li><p>nested</p></li></ol></li><li><p>two</p></li></ul>"
      "<ol><li><p>first</p></li></ol>"
      "<ul class=\"task-list\">"
      "<li class=\"task-item\"><input type=\"checkbox\" disabled checked><p>done</p></li>"
      "<li class=\"task-item\"><input type=\"checkbox\" disabled><p>todo</p></li></ul>"
      "<blockquote><p>quote one</p><p>quote two</p></blockquote>"
      "<pre><code class=\"language-js\">let a = 1 &lt; 2;\nb();</code></pre>"
      "<pre><code>plain code</code></pre><pre><code>x</code></pre><hr><p>end</p>");
  EXPECT_EQ(
      doc.text(),
      "H one\n\nH two\n\nH nine\n\nH zero\n\nH str\n\none\nnested\ntwo\n\nfirst\n\ndone\ntodo\n\n"
      "quote one\n\nquote two\n\nlet a = 1 < 2;\nb();\n\nplain code\n\nx\n\nend");
}

TEST(HtmlRender, TablesKeepOnlyPositiveIntegerSpans) {
  const Fixture doc(kTable);
  EXPECT_EQ(
      doc.html(),
      "<table><tr><th><p>H1</p></th><th colspan=\"2\"><p>H2</p></th></tr>"
      "<tr><td rowspan=\"2\"><p>a</p></td><td><p>b1</p><p>b2</p></td><td><p></p></td></tr></table>"
      "<p>after table</p>");
  EXPECT_EQ(doc.text(), "H1\tH2\na\tb1 b2\t\n\nafter table");
}

TEST(HtmlRender, ImagesNeedASafeSourceAndEscapeTheirText) {
  const Fixture doc(kImages);
  EXPECT_EQ(doc.html(),
            "<img src=\"https://example.com/cat.png\" alt=\"A &quot;cat&quot; &amp; &lt;dog&gt;\" "
            "title=\"it&#39;s\">"
            "<p>see <img src=\"/img/x.png\" alt=\"rel\"> here</p>"
            "<img src=\"x.png\" alt=\"on\">"
            "<img src=\"http://x/a.png&quot; onerror=&quot;alert(1)\" alt=\"q&quot; "
            "onerror=&quot;alert(2)\">");
  // Plain text is not markup: alt texts appear as written, even of images not published.
  EXPECT_EQ(doc.text(),
            "A \"cat\" & <dog>\n\nsee rel here\n\njs\n\ndata\n\nmixed\n\nvb\n\non\n\nq\" "
            "onerror=\"alert(2)");
}

TEST(HtmlSanitize, ScriptsUnsafeLinksAndAttributeInjectionNeverBecomeMarkup) {
  const Fixture doc(kXss);
  EXPECT_EQ(doc.html(),
            "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</p>"
            "<p>abcdef<a href=\"https://ok.example/&quot;onmouseover=&quot;alert(1)\" "
            "rel=\"noopener noreferrer\">g</a></p>"
            "<p><a href=\"mailto:a@b.c\" rel=\"noopener noreferrer\">m</a>"
            "<a href=\"tel:+123\" rel=\"noopener noreferrer\">t</a>"
            "<a href=\"/relative?x=1&amp;y=2\" rel=\"noopener noreferrer\">r</a>"
            "<a href=\"#anchor\" rel=\"noopener noreferrer\">h</a>ns</p>"
            "<p>attrs</p><h1>lvl</h1><ol><li><p>li</p></li></ol>alert(1)odd name");
  EXPECT_EQ(doc.text(),
            "<script>alert(\"x\")</script> & "
            "'q'\n\nabcdefg\n\nmtrhns\n\nattrs\n\nlvl\n\nli\n\nalert(1)\n\nodd name");
}

TEST(HtmlSanitize, EveryFixtureHoldsOnlyAllowedMarkup) {
  for (std::string_view update :
       {kMarks, kBlocks, kTable, kImages, kXss, kUnknown, kDeleted, kDeep3, kEmptyParagraph}) {
    const Fixture doc(update);
    const std::string html = doc.html();
    EXPECT_TRUE(only_allowed_markup(html));
    // Attribute names are checked above; these must not appear even inside escaped values.
    for (std::string_view banned : {"javascript:", "vbscript:", "data:", "<script", "target="})
      EXPECT_EQ(html.find(banned), std::string::npos) << banned << " in " << html;
  }
}

TEST(HtmlRender, UnknownNodesDegradeToTheirContentAndEmbedsRenderNothing) {
  const Fixture doc(kUnknown);
  EXPECT_EQ(
      doc.html(),
      "<p>inside one</p><p>inside two</p><p>hi inner bye</p><p>before  after</p>top level text");
  EXPECT_EQ(doc.text(),
            "inside one\n\ninside two\n\nhi inner bye\n\nbefore  after\n\ntop level text");
}

TEST(HtmlRender, DeletedContentIsSkipped) {
  const Fixture doc(kDeleted);
  EXPECT_EQ(doc.html(), "<p>keep textbold</p><h1>head</h1><p>last</p>");
  EXPECT_EQ(doc.text(), "keep textbold\n\nhead\n\nalt\n\nlast");
}

TEST(HtmlRender, EmptyDocuments) {
  Doc empty(1);
  const Type& fragment = empty.root("prosemirror", TypeKind::xml_fragment);
  EXPECT_EQ(xml_to_html(fragment), "");
  EXPECT_EQ(xml_to_plain_text(fragment), "");

  const Fixture paragraph(kEmptyParagraph);
  EXPECT_EQ(paragraph.html(), "<p></p>");
  EXPECT_EQ(paragraph.text(), "");
}

TEST(HtmlRender, ElementsAndTextsRenderOnTheirOwn) {
  const Fixture doc(kMarks);
  const Type* paragraph = doc.fragment().start()->content.get<TypeContent>()->type.get();
  ASSERT_EQ(paragraph->kind(), TypeKind::xml_element);
  EXPECT_EQ(xml_to_html(*paragraph), doc.html());
  const Type* text = paragraph->start()->content.get<TypeContent>()->type.get();
  ASSERT_EQ(text->kind(), TypeKind::xml_text);
  EXPECT_EQ(xml_to_html(*text).substr(0, 30), "plain <strong>bold</strong> <s");
  EXPECT_EQ(xml_to_plain_text(*text), "plain bold bothuscalllinklbhlcmb2");
}

TEST(HtmlDepth, BuilderWritesWhatYjsWrites) {
  EXPECT_EQ(nested_blockquotes(3, 18), from_hex(kDeep3));
}

TEST(HtmlDepth, MarkupStopsAtTheDepthLimitAndDeeperTextStaysFlat) {
  // The paragraph sits at depth kMaxRenderDepth: still markup.
  const Fixture at_limit(nested_blockquotes(kMaxRenderDepth - 1, 5));
  EXPECT_EQ(at_limit.html(), repeat("<blockquote>", kMaxRenderDepth - 1) + "<p>deep</p>" +
                                 repeat("</blockquote>", kMaxRenderDepth - 1));
  EXPECT_EQ(at_limit.text(), "deep");
  // One level deeper: the paragraph is rendered as its text only.
  const Fixture past_limit(nested_blockquotes(kMaxRenderDepth, 5));
  EXPECT_EQ(past_limit.html(), repeat("<blockquote>", kMaxRenderDepth) + "deep" +
                                   repeat("</blockquote>", kMaxRenderDepth));
  EXPECT_EQ(past_limit.text(), "deep");
}

TEST(HtmlDepth, HostileNestingDoesNotExhaustTheStack) {
  constexpr int kDepth = 100'000;
  const Fixture doc(nested_blockquotes(kDepth, 5));
  EXPECT_EQ(doc.html(), repeat("<blockquote>", kMaxRenderDepth) + "deep" +
                            repeat("</blockquote>", kMaxRenderDepth));
  EXPECT_EQ(doc.text(), "deep");
}

}  // namespace
}  // namespace agora::crdt

namespace agora::crdt {
namespace {

TEST(MarkdownExport, MarksBecomeDelimitersAndLinksKeepSafeTargets) {
  const Fixture doc(kMarks);
  EXPECT_EQ(xml_to_markdown(doc.fragment()),
            "plain **bold** ***both***u~~s~~`c`[***~~`all`~~***](<https://example.com/a?b=1&c=2>)"
            "[link](<https://example.com/a?b=1&c=2>)[**lb**](<https://example.com/a?b=1&c=2>)"
            "hlcm**b2**\\\nafter\n");
}

TEST(MarkdownExport, BlocksListsTasksQuotesCodeAndRules) {
  const Fixture doc(kBlocks);
  EXPECT_EQ(xml_to_markdown(doc.fragment()),
            "# H one\n\n## H two\n\n###### H nine\n\n# H zero\n\n### H str\n\n"
            "- one\n  3. nested\n- two\n\n1. first\n\n- [x] done\n- [ ] todo\n\n"
            "> quote one\n>\n> quote two\n\n```js\nlet a = 1 < 2;\nb();\n```\n\n"
            "```\nplain code\n```\n\n```\nx\n```\n\n---\n\nend\n");
}

TEST(MarkdownExport, TablesHaveAHeaderRowAndAsManyColumnsAsTheWidestRow) {
  const Fixture doc(kTable);
  EXPECT_EQ(xml_to_markdown(doc.fragment()),
            "| H1 | H2 |  |\n| --- | --- | --- |\n| a | b1 b2 |  |\n\nafter table\n");
}

TEST(MarkdownExport, TextNeverBecomesMarkupAndUnsafeUrlsAreDropped) {
  const Fixture xss(kXss);
  const std::string markdown = xml_to_markdown(xss.fragment());
  EXPECT_EQ(markdown.substr(0, markdown.find('\n')),
            "\\<script\\>alert(\"x\")\\</script\\> & 'q'");
  EXPECT_EQ(markdown.find("javascript"), std::string::npos);
  EXPECT_EQ(markdown.find("data:"), std::string::npos);
  EXPECT_EQ(markdown.find("vbscript"), std::string::npos);
  EXPECT_NE(markdown.find("[m](<mailto:a@b.c>)"), std::string::npos);

  const Fixture images(kImages);
  const std::string with_images = xml_to_markdown(images.fragment());
  EXPECT_EQ(with_images.substr(0, with_images.find('\n')),
            "![A \"cat\" & \\<dog\\>](<https://example.com/cat.png>)");
  EXPECT_EQ(with_images.find("javascript"), std::string::npos);
}

TEST(MarkdownExport, LinesThatWouldStartABlockAreEscaped) {
  Doc doc(5);
  Type& fragment = doc.root("prosemirror", TypeKind::xml_fragment);
  doc.transact([&](Transaction& t) {
    for (std::u16string_view line : {u"# not a heading", u"1. not a list", u"- nor this"}) {
      Type& paragraph = XmlEditor::insert_element(t, fragment, fragment.length(), "paragraph");
      Type& text = XmlEditor::insert_text(t, paragraph, 0);
      TextEditor::insert(t, text, 0, line);
    }
  });
  EXPECT_EQ(xml_to_markdown(fragment), "\\# not a heading\n\n1\\. not a list\n\n\\- nor this\n");
}

}  // namespace
}  // namespace agora::crdt
