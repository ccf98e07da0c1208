/*
 * sms.c: an SMS's size as the gateway and the handset count it (3GPP TS
 * 23.038 and 23.040), declared in template.h beside the templates it sizes.
 *
 * A text made only of characters of the GSM 7-bit default alphabet goes as
 * septets: 160 in one message, 153 per part of a concatenated one (the user
 * data header takes 7). Characters of the extension table (form feed,
 * ^ { } \ [ ~ ] | €) take two septets, an escape and the character, and the
 * pair is never split across two parts. Any other character (Chinese, an
 * emoji, a curly quote) makes the whole text UCS-2: 70 UTF-16 code units in
 * one message, 67 per part; a character outside the BMP is a surrogate pair
 * (two units), likewise kept in one part. Bytes that are not UTF-8 count as
 * one UCS-2 unit each, as U+FFFD would.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "template.h"
#include "utf8.h"

/* The default alphabet beyond printable ASCII, and the ASCII it lacks. */
static const uint32_t sms_gsm_extra[] = {
	0x00a3, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7,
	0x00d8, 0x00f8, 0x00c5, 0x00e5, 0x0394, 0x03a6, 0x0393, 0x039b,
	0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, 0x00c6, 0x00e6,
	0x00df, 0x00c9, 0x00a4, 0x00a1, 0x00c4, 0x00d6, 0x00d1, 0x00dc,
	0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};
static const char sms_gsm_ext_ascii[] = "\f^{}\\[~]|";

/* Septets for one character: 1, 2 (extension table), or 0 (not GSM). */
static int
sms_septets(uint32_t cp)
{
	size_t i;

	if (cp == 0x20ac)	/* € */
		return 2;
	if (cp < 0x80) {
		if (cp != 0 && strchr(sms_gsm_ext_ascii, (int)cp) != NULL)
			return 2;
		if (cp == '\n' || cp == '\r')
			return 1;
		/* Printable ASCII except ` (no GSM equivalent). */
		return cp >= 0x20 && cp < 0x7f && cp != '`' ? 1 : 0;
	}
	for (i = 0; i < sizeof(sms_gsm_extra) / sizeof(sms_gsm_extra[0]); i++)
		if (sms_gsm_extra[i] == cp)
			return 1;
	return 0;
}

/* Pack characters of w units each into parts of at most per units. */
static void
sms_pack(size_t *used, size_t *parts, size_t w, size_t per)
{
	if (*used + w > per) {
		(*parts)++;
		*used = 0;
	}
	*used += w;
}

/*
 * Two passes: decide the encoding, then count; the part count is computed
 * by packing, so an escape pair or surrogate pair at a boundary moves whole.
 */
void
sms_size(const char *utf8, struct sms_size *sz)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t len = strlen(utf8), i, n, units = 0, used = 0, parts = 1, w;
	size_t single, per;
	uint32_t cp;
	int ucs2 = 0;

	for (i = 0; i < len && !ucs2; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0 ||
		    sms_septets(cp) == 0)
			ucs2 = 1;
	}
	single = ucs2 ? 70 : 160;
	per = ucs2 ? 67 : 153;
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			n = 1;
			cp = 0xfffd;
		}
		w = ucs2 ? (cp >= 0x10000 ? 2 : 1) : (size_t)sms_septets(cp);
		units += w;
		sms_pack(&used, &parts, w, per);
	}
	sz->ucs2 = ucs2;
	sz->units = units;
	sz->segments = units <= single ? 1 : parts;
}
