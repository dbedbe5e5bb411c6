// Writes the comparison corpus into test/fixtures/corpus/*.eml (deterministic; run with
// `node test/make-corpus.mjs`). Each message targets one structure case; the Dovecot test
// APPENDs all of them and compares structure and sections byte for byte.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const out = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "corpus");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const crlf = (s) => s.replace(/\r?\n/g, "\r\n");
const lf = (s) => s.replace(/\r\n/g, "\n");
const write = (name, body) =>
  writeFileSync(join(out, `${name}.eml`), typeof body === "string" ? Buffer.from(body, "latin1") : body);
const utf8 = (s) => Buffer.from(s, "utf8").toString("latin1");
const b64lines = (buf, width = 76) => (buf.toString("base64").match(new RegExp(`.{1,${width}}`, "g")) ?? []).join("\n");
const bytes = (n, seed) => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};
const H = `From: Alice Example <alice@example.org>
To: Bob <bob@example.net>
Date: Mon, 2 Mar 2026 10:00:00 +0100
Message-ID: <m1@example.org>
`;

write(
  "01-simple-crlf",
  crlf(`${H}Subject: simple
Content-Type: text/plain; charset=us-ascii

Hello Bob,
this is a test.
`),
);
write(
  "02-simple-lf",
  lf(`${H}Subject: bare LF

Line one
Line two
`),
);
write(
  "03-no-content-type",
  crlf(`From: a@b.example
Subject: no content type

body
`),
);
write(
  "04-text-params",
  crlf(`${H}Subject: params
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes
Content-Transfer-Encoding: 8bit

${utf8("Grüße aus Köln\n")}`),
);
const att = bytes(600, 7);
write(
  "05-mixed-attachment",
  crlf(`${H}Subject: attachment
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

This is a preamble.
--b1
Content-Type: text/plain; charset=utf-8

See attached.
--b1
Content-Type: application/octet-stream; name="data.bin"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="data.bin"; size=600

${b64lines(att)}
--b1--
epilogue here
`),
);
write(
  "06-alternative-qp",
  crlf(`${H}Subject: alternative
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, a long line that is soft wrapped here =
and continues.
--alt
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p>Gr=FC=DFe</p>
--alt--
`),
);
write(
  "07-nested-related",
  crlf(`${H}Subject: nested
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain

plain
--inner
Content-Type: multipart/related; boundary="rel"; type="text/html"

--rel
Content-Type: text/html; charset=utf-8

<img src="cid:img1@x">
--rel
Content-Type: image/png
Content-ID: <img1@x>
Content-Transfer-Encoding: base64

${b64lines(bytes(120, 3))}
--rel--
--inner--
--outer
Content-Type: text/plain; name=notes.txt
Content-Disposition: inline

notes
--outer--
`),
);
const inner = `From: Carol <carol@example.com>
To: Dave <dave@example.com>, Eve <eve@example.com>
Cc: team: frank@example.com, grace@example.com;
Subject: inner message
Date: Tue, 3 Mar 2026 11:00:00 +0000
Message-ID: <inner@example.com>
In-Reply-To: <prev@example.com>

Inner body line 1
Inner body line 2
`;
write(
  "08-rfc822-attached",
  crlf(`${H}Subject: forwarded
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fw"

--fw
Content-Type: text/plain

see below
--fw
Content-Type: message/rfc822
Content-Description: forwarded message
Content-Disposition: attachment

${inner}
--fw--
`),
);
write(
  "09-rfc822-multipart",
  crlf(`${H}Subject: forwarded multipart
MIME-Version: 1.0
Content-Type: message/rfc822

From: x@y.example
Subject: inner multipart
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="ib"

--ib
Content-Type: text/plain

a
--ib
Content-Type: text/html

<b>a</b>
--ib--
`),
);
write(
  "10-missing-close-boundary",
  crlf(`${H}Subject: no close
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="nc"

--nc
Content-Type: text/plain

first
--nc
Content-Type: text/plain

second, never closed
`),
);
write(
  "11-boundary-never-appears",
  crlf(`${H}Subject: no parts
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="zzz"

there is no boundary line at all
just text
`),
);
write(
  "12-multipart-no-boundary",
  crlf(`${H}Subject: multipart without boundary
MIME-Version: 1.0
Content-Type: multipart/mixed

--x
Content-Type: text/plain

x
--x--
`),
);
write(
  "13-8bit-headers",
  crlf(`From: ${utf8("Jürgen Müller")} <juergen@example.de>
To: ${utf8("Zoë")} <zoe@example.fr>
Subject: ${utf8("Überraschung für dich")}
Date: Wed, 4 Mar 2026 12:00:00 +0100
Content-Type: text/plain; charset=utf-8; name="${utf8("größe.txt")}"
Content-Description: ${utf8("Beschreibung mit Ümlaut")}
Content-Transfer-Encoding: 8bit

${utf8("Hallo Zoë")}
`),
);
write(
  "14-encoded-words",
  crlf(`From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.de>
To: "=?ISO-8859-1?Q?Andr=E9?=" <andre@example.fr>
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and =?UTF-8?B?w5xiZXI=?=
 =?UTF-8?Q?_more?=
Date: Thu, 5 Mar 2026 13:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Description: =?UTF-8?Q?Beschr=C3=A4nkt?=

body
`),
);
let big = `${H}Subject: huge header\n`;
for (let i = 0; i < 2000; i++) big += `X-Filler-${i}: ${"v".repeat(40)} ${i}\n`;
big += "To: ";
for (let i = 0; i < 300; i++) big += `${i ? ",\n " : ""}"User ${i}" <user${i}@example.com>`;
big += "\nContent-Type: text/plain\n\nafter huge header\n";
write("15-huge-header", crlf(big));
let deep = `${H}Subject: deep multipart nesting\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="d0"\n\n`;
const depth = 120; // boundaries d1 and d10.. share prefixes: Dovecot matches boundaries by prefix
for (let i = 1; i < depth; i++) deep += `--d${i - 1}\nContent-Type: multipart/mixed; boundary="d${i}"\n\n`;
deep += `--d${depth - 1}\nContent-Type: text/plain\n\ninnermost\n`;
for (let i = depth - 1; i >= 0; i--) deep += `--d${i}--\n`;
write("16-deep-multipart", crlf(deep));
let deepMsg = "";
for (let i = 0; i < 110; i++)
  deepMsg += `From: level${i}@example.com\nSubject: level ${i}\nContent-Type: message/rfc822\n\n`;
deepMsg += "From: last@example.com\nSubject: last\n\nbottom\n";
write("17-deep-rfc822", crlf(deepMsg));
write(
  "18-malformed-ct-1",
  crlf(`${H}Subject: ct text/
Content-Type: text/

body
`),
);
write(
  "18-malformed-ct-2",
  crlf(`${H}Subject: ct /plain
Content-Type: /plain; charset=utf-8

body
`),
);
write(
  "18-malformed-ct-3",
  crlf(`${H}Subject: ct without slash
Content-Type: text; charset=utf-8

body
`),
);
write(
  "18-malformed-ct-4",
  crlf(`${H}Subject: unterminated quote
Content-Type: text/plain; charset="utf-8; name=foo

body
`),
);
write(
  "18-malformed-ct-5",
  crlf(`${H}Subject: params without value
Content-Type: text/plain; charset; foo=; =bar; name=ok; x="y" ; ;

body
`),
);
write(
  "18-malformed-ct-6",
  crlf(`${H}Subject: duplicate params and junk
Content-Type: text/plain; charset=utf-8; charset=iso-8859-1 junk; a=b c=d

body
`),
);
write(
  "18-malformed-ct-7",
  crlf(`${H}Subject: empty boundary
Content-Type: multipart/mixed; boundary=""

--
Content-Type: text/plain

x
----
`),
);
write(
  "19-rfc2231",
  crlf(`${H}Subject: rfc2231
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="r"

--r
Content-Type: application/pdf;
 name*0*=UTF-8''%E6%97%A5%E6%9C%AC;
 name*1*=%E8%AA%9E.pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''%E6%97%A5%E6%9C%AC;
 filename*1="-part two";
 filename*2*=%20%41.pdf
Content-Transfer-Encoding: base64

${b64lines(bytes(90, 11))}
--r
Content-Type: text/plain; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A
Content-Disposition: inline; filename*=iso-8859-1''caf%E9.txt

x
--r
Content-Type: text/plain; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"; access-type=URL

y
--r
Content-Type: text/plain; a*1=second; a*0=first; b*0=only; c*2=gap; c*0=start

z
--r--
`),
);
write(
  "20-extension-fields",
  crlf(`${H}Subject: extension fields
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="e"; charset=ignored
Content-Language: en
Content-Location: http://example.org/outer

--e
Content-Type: text/plain; charset=us-ascii
Content-ID: <part1@example.org>
Content-Description: first part
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Disposition: inline; filename=a.txt; creation-date="Mon, 2 Mar 2026 10:00:00 +0100"
Content-Language: en, de-DE , fr
Content-Location: http://example.org/a.txt

first
--e
Content-Type: text/plain
Content-Language: (comment) i-klingon
Content-Location: "http://example.org/quoted"
Content-Disposition: ATTACHMENT

second
--e--
`),
);
write(
  "21-groups",
  crlf(`From: Alice <alice@example.org>
To: undisclosed-recipients:;
Cc: group one: a@example.com, "B" <b@example.com>;, single@example.com, empty group:;
Bcc: Friends: c@example.com (comment);
Subject: groups
Date: Fri, 6 Mar 2026 09:00:00 -0500

body
`),
);
write(
  "22-odd-addresses",
  crlf(`From: alice@example.org (Alice Comment)
To: "Quoted \\"Name\\" \\\\ here" <q@example.com>, <@route1,@route2:routed@example.com>, nodomain, @nodomain.example, "" <emptyname@example.com>, Bare Name <bare@example.com
Cc: a@b.example,, ,c@d.example, "semi;colon" <s@example.com>, first.last@[192.0.2.1]
Subject: odd addresses
Date: Sat, 7 Mar 2026 08:00:00 +0000

body
`),
);
write(
  "23-sender-replyto",
  crlf(`From: Alice <alice@example.org>
Sender: Secretary <sec@example.org>
Reply-To: Replies <replies@example.org>, other@example.org
To: bob@example.net
Subject: sender and reply-to
Date: Sun, 8 Mar 2026 07:00:00 +0000

body
`),
);
write(
  "23-empty-replyto",
  crlf(`From: Alice <alice@example.org>
Reply-To:
Sender:
To: bob@example.net
Subject: empty reply-to
Date: Sun, 8 Mar 2026 07:00:00 +0000

body
`),
);
write(
  "24-ids",
  crlf(`From: a@example.org
Subject: ids
Message-ID:   <  weird id @ example.org >  (comment)
In-Reply-To: <a@example.org> <b@example.org> (and more)
References: <a@example.org> <b@example.org>

body
`),
);
write(
  "24-ids-missing-brackets",
  crlf(`From: a@example.org
Subject: ids missing brackets
Message-ID: plain-id@example.org
In-Reply-To: "quoted" junk

body
`),
);
write(
  "25-odd-date",
  crlf(`From: a@example.org
Subject: odd date
Date:   2 Mar 2026 10:00 GMT   (comment)

body
`),
);
write(
  "26-preamble-epilogue",
  crlf(`${H}Subject: preamble and epilogue
Content-Type: multipart/mixed; boundary=pe

preamble line 1
preamble line 2

--pe
Content-Type: text/plain

part one

--pe
Content-Type: text/plain

part two
--pe--

epilogue line 1
epilogue line 2
`),
);
write(
  "27-empty-body",
  crlf(`${H}Subject: empty body

`),
);
write("27-headers-only", Buffer.from("From: a@example.org\r\nSubject: headers only, no blank line\r\n"));
write(
  "27-no-final-newline",
  Buffer.from("From: a@example.org\r\nSubject: no final newline\r\n\r\nlast line without newline"),
);
write(
  "28-mixed-line-endings",
  `From: a@example.org\r\nSubject: mixed endings\nContent-Type: multipart/mixed; boundary=m\r\n\n--m\nContent-Type: text/plain\r\n\r\none\r\ntwo\n--m\r\nContent-Type: text/plain\n\nthree\n--m--\r\n`,
);
write(
  "29-cte-variants",
  crlf(`${H}Subject: transfer encodings
Content-Type: multipart/mixed; boundary=t

--t
Content-Type: text/plain
Content-Transfer-Encoding: BASE64

${b64lines(Buffer.from("upper case base64\r\n"))}
--t
Content-Type: text/plain
Content-Transfer-Encoding: x-uuencode

begin 644 x
--t
Content-Type: text/plain
Content-Transfer-Encoding: Quoted-Printable

a=3Db
--t
Content-Type: text/plain
Content-Transfer-Encoding: 7bit (comment)

c
--t
Content-Type: application/octet-stream
Content-Transfer-Encoding: binary

${bytes(50, 5)
  .toString("latin1")
  .replace(/[\r\n]/g, "x")}
--t--
`),
);
write(
  "31-message-other",
  crlf(`${H}Subject: message subtypes
Content-Type: multipart/mixed; boundary=ms

--ms
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; bob@example.net
Action: failed
--ms
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

${b64lines(Buffer.from("From: x@y\r\nSubject: encoded\r\n\r\nbody\r\n"))}
--ms
Content-Type: message/global

From: x@y
Subject: global

body
--ms
Content-Type: message/rfc822

--ms--
`),
);
write(
  "32-header-garbage",
  crlf(`${H}Subject: garbage in header
This line has no colon
Content-Type: text/plain; charset=us-ascii
 continuation of content-type? no, of previous
X-Empty:
X-Tab:\tvalue

body
`),
);
write(
  "33-boundary-padding",
  crlf(`${H}Subject: boundary with transport padding
Content-Type: multipart/mixed; boundary="pad"

--pad   \t
Content-Type: text/plain

a
--pad-- \t
`),
);
write(
  "34-boundary-prefix",
  crlf(`${H}Subject: boundary prefixes
Content-Type: multipart/mixed; boundary="a"

--a
Content-Type: multipart/mixed; boundary="ab"

--ab
Content-Type: text/plain

inner
--a
Content-Type: text/plain

outer part two (closes inner implicitly)
--a--
`),
);
write(
  "35-ct-comments",
  crlf(`${H}Subject: content-type with comments
Content-Type: text/plain (plain text) ; (c) charset = "utf-8" (c2); format=fixed

body
`),
);
write(
  "36-uppercase",
  crlf(`${H}Subject: uppercase type
Content-Type: TEXT/HTML; CHARSET=UTF-8; Name="X.HTML"
Content-Disposition: INLINE; FILENAME="X.HTML"

<p>x</p>
`),
);
write(
  "37-id-description",
  crlf(`${H}Subject: id and description
Content-Type: text/plain
Content-ID:   <id with spaces@example.org>
Content-Description: has "quotes" and \\backslash\\ and
 a folded line
Content-MD5:    abc

body
`),
);
write(
  "38-long-base64",
  crlf(`${H}Subject: big attachment
Content-Type: multipart/mixed; boundary=big

--big
Content-Type: image/jpeg; name=photo.jpg
Content-Transfer-Encoding: base64

${b64lines(bytes(60000, 9))}
--big
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

${b64lines(bytes(3000, 13), 998)}
--big--
`),
);
write(
  "39-digest",
  crlf(`${H}Subject: digest
Content-Type: multipart/digest; boundary=dg

--dg

From: one@example.com
Subject: digest one

one
--dg
Content-Type: text/plain

not a message
--dg
Content-Type: message/rfc822

From: three@example.com
Subject: digest three

three
--dg--
`),
);
write(
  "40-report",
  crlf(`${H}Subject: report
Content-Type: multipart/report; report-type=delivery-status; boundary=rp

--rp
Content-Type: text/plain

failed
--rp
Content-Type: message/delivery-status

Reporting-MTA: dns; mx
--rp
Content-Type: text/rfc822-headers

From: x@y
Subject: original
--rp--
`),
);
write(
  "41-quoting",
  crlf(`From: "Back\\\\slash \\"Quote\\"" <bq@example.com>
To: bob@example.net
Subject: "quoted" subject with \\ backslash and {curly} % *
Date: Mon, 9 Mar 2026 10:00:00 +0000

body
`),
);
write(
  "42-folded-subject",
  crlf(`From: a@example.org
Subject: this subject is
\tfolded over
   three lines
Date: Mon, 9 Mar 2026 10:00:00 +0000

body
`),
);
write(
  "43-leading-continuation",
  crlf(` leading continuation line
From: a@example.org
Subject: starts with whitespace

body
`),
);
write(
  "44-rfc822-empty",
  crlf(`${H}Subject: empty inner
Content-Type: message/rfc822

`),
);
write(
  "45-huge-subject",
  crlf(`From: a@example.org
Subject: ${"word ".repeat(5000)}end

body
`),
);
write(
  "47-space-before-colon",
  crlf(`From : a@example.org
Subject : space before colon
Content-Type : text/html

<b>x</b>
`),
);
write(
  "48-duplicate-ct",
  crlf(`${H}Subject: two content-types
Content-Type: text/html
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64
Content-Transfer-Encoding: 8bit

body
`),
);
let many = `${H}Subject: many parts\nContent-Type: multipart/mixed; boundary=mp\n\n`;
for (let i = 0; i < 300; i++) many += `--mp\nContent-Type: text/plain; name=p${i}.txt\n\npart ${i}\n`;
many += "--mp--\n";
write("49-many-parts", crlf(many));
write("50-cr-only", "From: a@example.org\rSubject: cr only\r\r\nbody\rline\r\n");
write(
  "51-8bit-body-lf",
  lf(`${H}Subject: 8bit lf
Content-Type: multipart/mixed; boundary=e8

--e8
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${utf8("naïve café\n")}--e8
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9 =\nsoft
--e8--
`),
);
write(
  "52-nested-rfc822-in-multipart",
  crlf(`${H}Subject: rfc822 inside multipart inside rfc822
Content-Type: multipart/mixed; boundary=o

--o
Content-Type: message/rfc822

From: in@example.com
Subject: level 1
Content-Type: multipart/mixed; boundary=i

--i
Content-Type: text/plain

level 1 text
--i
Content-Type: message/rfc822

From: in2@example.com
Subject: level 2

level 2 body
--i--
--o--
`),
);
write(
  "53-ct-only-params",
  crlf(`${H}Subject: odd charset param forms
Content-Type: text/plain; charset=utf-8 (comment); name="a\\"b"; x=\\"

body
`),
);
write(
  "54-long-boundary",
  crlf(`${H}Subject: long boundary
Content-Type: multipart/mixed; boundary="${"=_".repeat(40)}"

--${"=_".repeat(40)}
Content-Type: text/plain

x
--${"=_".repeat(40)}--
`),
);
write(
  "55-nul-free-binary-header",
  crlf(`From: a@example.org
Subject: latin1 ${Buffer.from([0xe9, 0xe8, 0xff]).toString("latin1")} raw
Content-Type: text/plain; charset=iso-8859-1

${Buffer.from([0xe9, 0x0a]).toString("latin1")}`),
);

write(
  "56-duplicate-fields",
  crlf(`From: first@example.org
From: second@example.org
Subject: first subject
Subject: second subject
Message-ID: <first@example.org>
Message-ID: <second@example.org>
Date: Mon, 9 Mar 2026 10:00:00 +0000
Date: Tue, 10 Mar 2026 10:00:00 +0000
Content-Description: first description
Content-Description: second description
Content-Disposition: inline
Content-Disposition: attachment

body
`),
);
write(
  "57-escapes",
  crlf(`From: "a\\"b\\"c\\"d\\"e\\"f" <x@example.org>
To: "  spaced   name  " <y@example.org>, "tab\tname" <z@example.org>
Subject:
Content-Type: text/plain; name="q\\"q\\"q\\"q\\"q\\"q"; four="a\\"b\\"c\\\\d\\\\"
Content-Description: one " two " three " four " five "
Content-ID: <a"b"c"d@x>

body
`),
);
write(
  "57-subject-spaces",
  crlf(`From: x@example.org
Subject:    padded   subject
Message-ID: <sp@x>

body
`),
);
write(
  "58-header-into-boundary",
  crlf(`${H}Subject: part header runs into boundary
Content-Type: multipart/mixed; boundary=hb

--hb
Content-Type: text/plain
--hb
Content-Type: text/plain

second
--hb--
`),
);
write(
  "59-address-edge",
  crlf(`From: "john doe"@example.com
To: a@example.com, b@example.com,
Cc: grp: x@example.com, y@example.com
Bcc: <@only.route:r@example.com>, <>, Name <>, "x" <y>
Reply-To: a@b@c, foo bar baz <x@y>
Subject: address edges

body
`),
);
write(
  "60-qp-edge",
  crlf(`${H}Subject: qp edge cases
Content-Type: multipart/mixed; boundary=q

--q
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

trailing spaces here   
tab here\t
bad =ZZ escape and =3d lower and =
soft break
=C3=A9nd=
--q
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVs bG8g
d29y*bGQ=
extra
--q--
`),
);
write(
  "60-qp-lf",
  lf(`${H}Subject: qp with bare LF
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

line one=20
line two =
continued
last
`),
);
write(
  "62-duplicate-boundary",
  crlf(`${H}Subject: two boundary params
Content-Type: multipart/mixed; boundary=one; boundary=two

--two
Content-Type: text/plain

in two
--one
Content-Type: text/plain

in one
--one--
--two--
`),
);
write(
  "64-empty-header",
  crlf(`
body without header
`),
);
write(
  "65-folded-empty",
  crlf(`From: x@example.org
Subject:
 folded start
Date:
\tMon, 9 Mar 2026 10:00:00 +0000
Message-ID:
  <f@x>

body
`),
);
let clean = `${H}Subject: deep multipart nesting, distinct boundaries\nContent-Type: multipart/mixed; boundary="b0z"\n\n`;
for (let i = 1; i < 105; i++) clean += `--b${i - 1}z\nContent-Type: multipart/alternative; boundary="b${i}z"\n\n`;
clean += `--b104z\nContent-Type: text/plain\n\ninnermost\n`;
for (let i = 104; i >= 0; i--) clean += `--b${i}z--\nepilogue ${i}\n`;
write("66-deep-clean", crlf(clean));
write(
  "67-rfc822-qp",
  crlf(`${H}Subject: rfc822 root with qp
Content-Type: message/rfc822
Content-Transfer-Encoding: quoted-printable

From: inner@example.org
Subject: inner=20qp

body
`),
);
write(
  "68-8bit-params",
  crlf(`${H}Subject: 8bit params
Content-Type: application/octet-stream; name=${utf8("naïve.bin")}; x="${utf8("é")}"
Content-Disposition: attachment; filename="${utf8("résumé.pdf")}"
Content-Language: ${utf8("de")}, fr
Content-Location: ${utf8("http://example.org/ü")}

data
`),
);
write(
  "69-multipart-root-with-digest-nesting",
  crlf(`${H}Subject: digest nested in mixed
Content-Type: multipart/mixed; boundary=top

--top
Content-Type: multipart/digest; boundary=dg2

--dg2

From: d1@example.com
Subject: d1

one
--dg2
Content-Type: multipart/mixed; boundary=innerdg

--innerdg

default here is text/plain again
--innerdg--
--dg2--
--top--
`),
);
write(
  "70-encoded-and-charsets",
  crlf(`From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
To: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
 =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 cr=E8me
`),
);
write(
  "71-duplicate-content-fields",
  crlf(`${H}Subject: duplicate content fields
Content-Type: multipart/mixed; boundary=dup

--dup
Content-Type: text/plain
Content-ID: <id1@x>
Content-ID: <id2@x>
Content-MD5: md5one
Content-MD5: md5two
Content-Language: en
Content-Language: de
Content-Location: one
Content-Location: two

a
--dup
Content-Type: text/plain
Content-Description: d1
Content-Description: d2
Content-Description: d3
Content-Disposition: inline; a=1
Content-Disposition: attachment; b=2
Content-Disposition: inline; c=3

b
--dup
Content-Type: text/plain
Content-Disposition: inline; a=1
Content-Disposition: attachment; b=2
Content-Transfer-Encoding: 8bit
Content-Transfer-Encoding: base64

c
--dup--
`),
);
write(
  "72-no-ct-other-fields",
  crlf(`${H}Subject: no content-type but other content fields
Content-Transfer-Encoding: base64
Content-ID: <noct@x>
Content-Language: en
Content-MD5: xyz

aGVsbG8gd29ybGQ=
`),
);
write(
  "73-whitespace-edges",
  crlf(`From:    spaced@example.org   
To:
Cc: "Only Name"
Subject:    trailing spaces   \t
Date: Mon, 9 Mar 2026 10:00:00 +0000   
In-Reply-To: <a@x>
 <b@x>
Message-ID: <${utf8("ü")}@x>
Subject\t: tab before colon
   
X-After-Blankish: yes

body
`),
);
write(
  "74-long-lines",
  crlf(`${H}Subject: long lines
Content-Type: text/plain

${"a".repeat(5000)}
${"b ".repeat(3000)}
`),
);
write(
  "75-boundary-specials",
  crlf(`${H}Subject: boundary with spaces and specials
Content-Type: multipart/mixed; boundary="a b:c=d?(e)"

preamble mentions --a b:c but not at line start --a b:c=d?(e)
--a b:c=d?(e)
Content-Type: text/plain

one
--a b:c=d?(e)--
`),
);
write(
  "76-preamble-parent-boundary",
  crlf(`${H}Subject: parent boundary in child preamble
Content-Type: multipart/mixed; boundary=p

--p
Content-Type: multipart/alternative; boundary=c

preamble
--p
Content-Type: text/plain

after
--p--
`),
);
write(
  "77-rfc822-header-only",
  crlf(`${H}Subject: encapsulated message without body
Content-Type: multipart/mixed; boundary=h

--h
Content-Type: message/rfc822

From: inner@example.org
Subject: no body here
--h
Content-Type: message/rfc822

From: inner2@example.org
Subject: blank then boundary

--h--
`),
);
write(
  "78-8bit-addresses",
  crlf(`From: ${utf8("Jörg")} <${utf8("jörg")}@${utf8("bücher")}.example>
To: "=?UTF-8?Q?Zo=C3=AB?=" <zoe@example.org>, =?UTF-8?B?w4lsb2RpZQ==?= <e@example.org>
Subject: =?UTF-8?Q?only_encoded?=

body
`),
);
write(
  "79-disposition-edge",
  crlf(`${H}Subject: disposition edge cases
Content-Type: multipart/mixed; boundary=d

--d
Content-Type: text/plain
Content-Disposition: ; filename=x

a
--d
Content-Type: text/plain
Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC.txt; filename="euro.txt"

b
--d
Content-Type: text/plain
Content-Disposition: attachment (comment) ; filename = "spaced name.txt" ; size = 12

c
--d
Content-Type: text/plain
Content-Disposition:

d
--d--
`),
);
write(
  "80-cr-in-body",
  crlf(`${H}Subject: lone CR in body and header
X-CR: a\rb
Content-Type: text/plain

line with\rcr
`),
);
write(
  "81-nul-bytes",
  Buffer.from(
    `From: a@example.org\r\nSubject: nul\x00byte\r\nContent-Type: text/plain\r\n\r\nbody\x00with nul\r\n`,
    "latin1",
  ),
);
write(
  "82-multipart-8bit-params",
  crlf(`${H}Subject: 8bit in multipart params
Content-Type: multipart/mixed; boundary="b${utf8("é")}"; note="${utf8("ü")}"

--b${utf8("é")}
Content-Type: text/plain

x
--b${utf8("é")}--
`),
);
write(
  "83-qp-clean",
  crlf(`${H}Subject: clean qp
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

trailing spaces here   
tab here\t
lower =3d hex and upper =3D hex
soft =
break
`),
);
write(
  "84-base64-no-padding",
  crlf(`${H}Subject: base64 edge
Content-Type: multipart/mixed; boundary=e

--e
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVsbG8
--e
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVsbG8=
=
--e
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVs bG8=
--e--
`),
);
write(
  "85-smime-signed",
  crlf(`From: Signer <signer@example.org>
To: bob@example.net
Subject: signed
Date: Tue, 10 Mar 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;
	boundary="----sig"

This is an S/MIME signed message

------sig
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Signed text.

------sig
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"
Content-Description: S/MIME Cryptographic Signature

${b64lines(bytes(300, 17))}

------sig--

`),
);
write(
  "86-pgp-encrypted",
  crlf(`From: pgp@example.org
To: bob@example.net
Subject: encrypted
MIME-Version: 1.0
Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";
 boundary="enc"

--enc
Content-Type: application/pgp-encrypted
Content-Description: PGP/MIME version identification

Version: 1

--enc
Content-Type: application/octet-stream; name="encrypted.asc"
Content-Description: OpenPGP encrypted message
Content-Disposition: inline; filename="encrypted.asc"

-----BEGIN PGP MESSAGE-----

${b64lines(bytes(200, 19), 64)}
-----END PGP MESSAGE-----

--enc--
`),
);
write(
  "87-calendar",
  crlf(`From: Organizer <org@example.org>
To: bob@example.net
Subject: =?utf-8?Q?Invitation:_Caf=C3=A9_meeting?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="cal"

--cal
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

You are invited.
--cal
Content-Type: text/calendar; charset=utf-8; method=REQUEST
Content-Transfer-Encoding: base64

${b64lines(Buffer.from("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Café\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))}
--cal--
`),
);
write(
  "88-apple-inline-image",
  crlf(`From: Mac User <mac@example.org>
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_1"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.500.231\\))
Subject: photo
Date: Wed, 11 Mar 2026 08:00:00 +0100
To: bob@example.net

--Apple-Mail=_1
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

see photo

--Apple-Mail=_1
Content-Type: multipart/related;
	type="text/html";
	boundary="Apple-Mail=_2"

--Apple-Mail=_2
Content-Transfer-Encoding: 7bit
Content-Type: text/html;
	charset=us-ascii

<html><body>see photo<img src="cid:ABC-123"></body></html>
--Apple-Mail=_2
Content-Transfer-Encoding: base64
Content-Disposition: inline;
	filename=IMG_0001.jpeg
Content-Type: image/jpeg;
	x-unix-mode=0644;
	name="IMG_0001.jpeg"
Content-Id: <ABC-123>

${b64lines(bytes(400, 23))}
--Apple-Mail=_2--

--Apple-Mail=_1--
`),
);
write(
  "89-outlook-winmail",
  crlf(`From: "Outlook User" <ou@example.com>
To: "Bob" <bob@example.net>
Subject: RE: report
Thread-Topic: report
Thread-Index: AQHUabc=
Date: Thu, 12 Mar 2026 07:00:00 +0000
Message-ID: <AM0PR01MB1234@eurprd01.prod.outlook.com>
References: <a@x> <b@x>
In-Reply-To: <b@x>
Content-Language: en-US
X-MS-Has-Attach: yes
Content-Type: multipart/mixed;
	boundary="_004_AM0PR01MB1234_"
MIME-Version: 1.0

--_004_AM0PR01MB1234_
Content-Type: text/plain; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

Caf=E9 =96 see attached=85

--_004_AM0PR01MB1234_
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Description: winmail.dat
Content-Disposition: attachment; filename="winmail.dat"; size=64;
	creation-date="Thu, 12 Mar 2026 07:00:00 GMT";
	modification-date="Thu, 12 Mar 2026 07:00:00 GMT"
Content-Transfer-Encoding: base64

${b64lines(bytes(64, 29))}

--_004_AM0PR01MB1234_--
`),
);
write(
  "90-iso2022jp",
  crlf(`From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
To: bob@example.net
Subject: =?ISO-2022-JP?B?GyRCJEgkJCQmJUYlOSVIGyhC?=
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

\x1b$B$3$s$K$A$O\x1b(B
`),
);
write(
  "91-mailing-list",
  crlf(`From: Poster <poster@example.org>
To: list@lists.example.org
Subject: [list] Re: question
List-Id: Example list <list.lists.example.org>
List-Unsubscribe: <mailto:list-leave@lists.example.org>
Sender: list-bounces@lists.example.org
Reply-To: list@lists.example.org
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="===============123=="

--===============123==
Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0
Content-Transfer-Encoding: base64

${b64lines(Buffer.from("Answer with ümlauts.\n"))}

--===============123==
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: inline

_______________________________________________
list mailing list

--===============123==--
`),
);
write(
  "92-attachment-encoded-filename",
  crlf(`${H}Subject: encoded filenames
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=f

--f
Content-Type: application/pdf; name="=?UTF-8?B?UmVjaG51bmcgw5xiZXJzaWNodC5wZGY=?="
Content-Disposition: attachment; filename="=?UTF-8?B?UmVjaG51bmcgw5xiZXJzaWNodC5wZGY=?="
Content-Transfer-Encoding: base64

${b64lines(bytes(100, 31))}
--f
Content-Type: text/plain; name==?utf-8?q?na=C3=AFve.txt?=
Content-Disposition: attachment; filename*=utf-8''na%C3%AFve.txt

x
--f--
`),
);
console.log("corpus written to", out);
