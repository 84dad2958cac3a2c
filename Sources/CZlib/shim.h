// zlib's header. It comes with the Swift toolchain's Linux prerequisites; where it is missing, the
// build stops here with the package to install instead of a bare "file not found".
#if __has_include(<zlib.h>)
#include <zlib.h>
#else
#error "zlib's development headers (zlib.h) are missing. Install them: apt-get install zlib1g-dev (Debian, Ubuntu), dnf install zlib-devel (Fedora, RHEL), apk add zlib-dev (Alpine). They are among the Swift toolchain's Linux prerequisites."
#endif
