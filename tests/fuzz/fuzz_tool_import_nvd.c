/* libFuzzer target: `recall import nvd` on one record file (NVD CVE API 2.0 response or a single
 * CVE object), through imp_nvd.file with drafts in memory. Input length bit 0 switches the name
 * map on. Properties: fuzz_tool_import.h. */
#include "fuzz_tool_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_import(&imp_nvd, "auto", size & 1, data, size);
}
