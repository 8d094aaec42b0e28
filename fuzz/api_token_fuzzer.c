/* Fuzz target for the ECR pagination tokens of src/api (nextToken comes from clients): decoding
 * arbitrary text must answer NULL or a JSON object, and a decoded object must encode back to a
 * token that decodes to an equal object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *tok = dd_malloc(size + 1);
    if (tok == NULL)
        return 0;
    memcpy(tok, data, size);
    tok[size] = '\0';
    json_t *pos = dd_api_token_decode(tok);
    if (pos != NULL) {
        if (!json_is_object(pos))
            abort();
        char *again = dd_api_token_encode(pos);
        json_t *back = again != NULL ? dd_api_token_decode(again) : NULL;
        if (again != NULL && (back == NULL || !json_equal(pos, back)))
            abort();
        json_decref(back);
        dd_free(again);
        json_decref(pos);
    }
    dd_free(tok);
    return 0;
}
