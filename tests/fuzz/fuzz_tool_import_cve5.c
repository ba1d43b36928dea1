/* libFuzzer target: `recall import cve5` on one CVE JSON 5.x record, through imp_cve5.file with
 * drafts in memory. The input length picks --container (auto, cna, adp, all: bits 0-1) and the
 * name map (bit 2). Properties: fuzz_tool_import.h. */
#include "fuzz_tool_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modes[] = {"auto", "cna", "adp", "all"};
	return fuzz_import(&imp_cve5, modes[size & 3], (size >> 2) & 1, data, size);
}
