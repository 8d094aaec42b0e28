/* The catalogers built in, in the order they run. */
#include "inventory/catalog.h"

const dd_cataloger *const dd_catalogers[] = {
    &dd_cataloger_dpkg,   &dd_cataloger_apk, &dd_cataloger_rpm,    &dd_cataloger_npm,
    &dd_cataloger_python, &dd_cataloger_go,  &dd_cataloger_java,   &dd_cataloger_ruby,
    &dd_cataloger_rust,   &dd_cataloger_php, &dd_cataloger_dotnet, NULL};
