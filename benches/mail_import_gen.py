"""Writes N realistic messages into a Maildir's cur/ for the mail import benchmark (benches/mail_import).

usage: python3 benches/mail_import_gen.py MAILDIR TICKETS_FILE N [SEED]

The mix (fixed by SEED, so runs compare):
- 70 %: replies on a deal's ticket in the subject, text and HTML alternatives with a quoted previous
  letter (2-6 KB); a quarter of them carry an attachment of 2-12 KB (PDF, XLSX or PNG bytes, base64);
- 5 %: the ticket only in the body text (a client who rewrote the subject);
- 5 %: a well-formed ticket no deal has (counted as "unknown ticket", not filed);
- 20 %: mail without a ticket (newsletters, notifications, internal chatter): skipped unread.
Prints the counts of each kind as a JSON line.
"""

import base64
import json
import os
import random
import sys
import time

WORDS = (
    "offer price delivery invoice order quantity discount contract terms shipment pallet warranty "
    "schedule meeting confirm attached revised quote payment week month customer product sample "
    "specification drawing approval request support update project deadline thanks regards please"
).split()
NAMES = ["Clara Client", "Oleg Buyer", "Ines Purchasing", "Tom Logistics", "Yuki Tanaka", "Pierre Martin",
         "Anna Kowalska", "José García", "Müller Technik", "Ørjan Dahl"]


def sentence(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n)).capitalize() + "."


def paragraph(r):
    return " ".join(sentence(r, r.randint(6, 16)) for _ in range(r.randint(2, 5)))


def attachment(r):
    kind = r.choice([("offer.pdf", "application/pdf", b"%PDF-1.4\n"),
                     ("prices.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
                     ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n")])
    name, ctype, head = kind
    body = head + os.urandom(r.randint(2048, 12288))
    b64 = base64.encodebytes(body).decode().replace("\n", "\r\n")
    return name, ctype, b64


def message(r, i, subject_ticket, body_ticket, with_attachment, host):
    name = r.choice(NAMES)
    addr = name.split()[0].lower().replace("ü", "u").replace("é", "e").replace("ø", "o") + "@client%d.example" % (i % 97)
    ts = time.time() - 86400 * 30 + i * 60
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(ts))
    topic = sentence(r, 4).rstrip(".")
    subject = "Re: %s" % topic + (" - [ticket:%s]" % subject_ticket if subject_ticket else "")
    paras = [paragraph(r) for _ in range(r.randint(2, 4))]
    if body_ticket:
        paras.append("Our reference: [ticket:%s]" % body_ticket)
    quoted = "\r\n".join("> " + paragraph(r) for _ in range(r.randint(2, 6)))
    text = "\r\n\r\n".join(paras) + "\r\n\r\nBest regards,\r\n" + name + "\r\n\r\nOn an earlier day Mark wrote:\r\n" + quoted
    html = ("<html><body>" + "".join("<p>%s</p>" % p for p in paras)
            + "<p>Best regards,<br>%s</p><blockquote>%s</blockquote></body></html>" % (name, quoted.replace("\r\n", "<br>")))
    encoded_name = "=?utf-8?B?%s?=" % base64.b64encode(name.encode()).decode()
    head = ("From: %s <%s>\r\nTo: Mark Manager <mark@example.com>\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <bench-%d-%d@%s>\r\nMIME-Version: 1.0\r\n" % (encoded_name, addr, subject, date, i, r.randint(0, 1 << 30), host))
    alt = ("Content-Type: multipart/alternative; boundary=\"alt%d\"\r\n\r\n"
           "--alt%d\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
           "--alt%d\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
           "--alt%d--\r\n" % (i, i, text, i, html, i))
    if not with_attachment:
        return (head + alt).encode()
    aname, ctype, b64 = attachment(r)
    return (head + "Content-Type: multipart/mixed; boundary=\"mix%d\"\r\n\r\n--mix%d\r\n%s--mix%d\r\n"
            "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--mix%d--\r\n" % (i, i, alt, i, ctype, aname, aname, b64, i)).encode()


def newsletter(r, i, host):
    ts = time.time() - 86400 * 30 + i * 60
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(ts))
    body = "\r\n\r\n".join(paragraph(r) for _ in range(r.randint(3, 8)))
    return ("From: News <news@vendor%d.example>\r\nTo: mark@example.com\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <news-%d@%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
            % (i % 13, sentence(r, 5), date, i, host, body)).encode()


def main():
    maildir, tickets_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    r = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 10)
    tickets = [t.strip() for t in open(tickets_file) if t.strip()]
    cur = os.path.join(maildir, "cur")
    os.makedirs(cur, exist_ok=True)
    counts = {"subject_ticket": 0, "body_ticket": 0, "unknown_ticket": 0, "no_ticket": 0, "with_attachment": 0, "bytes": 0}
    base = int(time.time())
    for i in range(n):
        x = r.random()
        if x < 0.70:
            att = r.random() < 0.25
            raw = message(r, i, r.choice(tickets), None, att, "client.example")
            counts["subject_ticket"] += 1
            counts["with_attachment"] += att
        elif x < 0.75:
            raw = message(r, i, None, r.choice(tickets), False, "client.example")
            counts["body_ticket"] += 1
        elif x < 0.80:
            raw = message(r, i, "NOSUCH%04d" % (i % 10000), None, False, "client.example")
            counts["unknown_ticket"] += 1
        else:
            raw = newsletter(r, i, "vendor.example")
            counts["no_ticket"] += 1
        counts["bytes"] += len(raw)
        # Maildir name: <time>.<unique>.<host>,S=<size>:2, (unread); UIDs follow the sorted names.
        name = "%d.M%06dP1.bench,S=%d:2," % (base, i, len(raw))
        with open(os.path.join(cur, name), "wb") as f:
            f.write(raw)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
