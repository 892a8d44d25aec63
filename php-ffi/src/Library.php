<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\FFIUnavailableException;
use SkypeBus\Exception\LibraryNotFoundException;
use SkypeBus\Internal\Native;

/**
 * Finds and loads libskypebus through PHP's FFI, once per process (or per request under
 * preloading), the first time a Bus needs it. Nothing here runs at autoload time.
 *
 * Where the library comes from, in order:
 *  1. an explicit path: Library::configure('/path/to/libskypebus.so') before the first Bus;
 *  2. a preloaded FFI scope "SKYPEBUS" (ffi.preload=, or opcache.preload with preload.php),
 *     which was itself found by the steps below when it was preloaded;
 *  3. the SKYPEBUS_LIBRARY environment variable;
 *  4. the library built in the repository this package sits in (a checkout, or a Composer path
 *     repository): target/release/libskypebus.so, then target/debug/libskypebus.so;
 *  5. the system linker path: libskypebus.so.0.
 * An explicit path or the environment variable is used alone: when it fails, nothing else is
 * tried. Whatever is loaded must report skypebus_abi_version() == Library::ABI_VERSION.
 *
 * The C declarations come from the header cbindgen generates (include/skypebus.h of the
 * repository, else the copy shipped in this package's include/), loaded with FFI::cdef as is.
 *
 * This class decides where the library comes from; loading it and every call into it go
 * through SkypeBus\Internal\Native, the one class that touches FFI.
 */
final class Library
{
    /** The version of this package, the same as the library's (skypebus_version()). */
    public const VERSION = '0.1.0';

    /** The ABI this package is written for: the SONAME major of libskypebus. */
    public const ABI_VERSION = 0;

    /** The FFI scope name of the header (#define FFI_SCOPE "SKYPEBUS"). */
    public const SCOPE = 'SKYPEBUS';

    /** The environment variable naming the library file. */
    public const ENVIRONMENT = 'SKYPEBUS_LIBRARY';

    /** The name on the system linker path. */
    public const SONAME = 'libskypebus.so.0';

    /** @var Native|null */
    private static $native;

    /** @var string|null where the loaded library came from, for messages */
    private static $origin;

    /** @var string|null */
    private static $explicitLibrary;

    /** @var string|null */
    private static $explicitHeader;

    /**
     * Points the package at a library file (and optionally a header) explicitly. Call it before
     * the first Bus; afterwards the library is loaded and this throws \LogicException.
     */
    public static function configure(?string $library, ?string $header = null): void
    {
        if (self::$native !== null) {
            throw new \LogicException('libskypebus is already loaded (' . self::$origin . '); configure it before the first Bus');
        }
        self::$explicitLibrary = $library;
        self::$explicitHeader = $header;
    }

    /** The version string of the loaded library, such as "0.1.0". */
    public static function version(): string
    {
        return self::native()->version();
    }

    /** The ABI number the loaded library reports. */
    public static function abiVersion(): int
    {
        return self::native()->abiVersion();
    }

    /**
     * Where the loaded library came from: a file path, or "FFI scope SKYPEBUS" when preloaded.
     */
    public static function origin(): string
    {
        self::native();
        return (string) self::$origin;
    }

    /**
     * For an opcache.preload script (see preload.php): loads the library into the FFI scope
     * "SKYPEBUS" so that requests use it without FFI::cdef, which ffi.enable=preload forbids
     * outside preloading. Does nothing when the scope exists already (ffi.preload=).
     *
     * @throws FFIUnavailableException|LibraryNotFoundException
     */
    public static function preload(?string $library = null, ?string $header = null): void
    {
        self::assertFfiLoaded();
        if (Native::scope(self::SCOPE) !== null) {
            return;
        }
        $file = tempnam(sys_get_temp_dir(), 'skypebus-');
        if ($file === false || file_put_contents($file, self::preloadHeader($library, $header)) === false) {
            throw new FFIUnavailableException('Cannot write the preload header to ' . sys_get_temp_dir());
        }
        try {
            $failure = Native::load($file);
        } finally {
            @unlink($file);
        }
        if ($failure !== null) {
            throw new FFIUnavailableException(
                'FFI::load() of the libskypebus header failed during preloading: ' . $failure
                . '. When PHP starts as root with opcache.preload_user, FFI::load() cannot work: keep '
                . 'opcache.preload for the classes and add ffi.preload=<header>, where the header is the '
                . 'output of vendor/bin/skypebus-ffi-header.'
            );
        }
    }

    /**
     * The header text for ffi.preload= or FFI::load(): the library's declarations with
     * FFI_SCOPE "SKYPEBUS" and FFI_LIB set to the absolute path of the library that discovery
     * (or $library) finds.
     *
     * @throws FFIUnavailableException|LibraryNotFoundException
     */
    public static function preloadHeader(?string $library = null, ?string $header = null): string
    {
        self::assertFfiLoaded();
        $path = self::resolve($library, getenv(self::ENVIRONMENT) ?: null)[1];
        $declarations = self::stripDefines(self::declarations($header ?? self::$explicitHeader));
        return sprintf("#define FFI_SCOPE \"%s\"\n#define FFI_LIB \"%s\"\n%s", self::SCOPE, addcslashes($path, "\"\\"), $declarations);
    }

    /**
     * The loaded library, through the one class that calls it.
     *
     * @internal
     * @throws FFIUnavailableException|LibraryNotFoundException
     */
    public static function native(): Native
    {
        if (self::$native !== null) {
            return self::$native;
        }
        self::assertFfiLoaded();
        if (self::$explicitLibrary === null) {
            $scope = Native::scope(self::SCOPE);
            if ($scope !== null) {
                self::checkAbi($scope, 'FFI scope ' . self::SCOPE);
                self::$origin = 'FFI scope ' . self::SCOPE;
                return self::$native = $scope;
            }
        }
        self::assertCdefAllowed();
        [$origin, $path] = self::resolve(self::$explicitLibrary, getenv(self::ENVIRONMENT) ?: null);
        $native = Native::cdef(self::declarations(self::$explicitHeader), $path);
        if (is_string($native)) {
            throw new LibraryNotFoundException(sprintf(
                'libskypebus at %s (%s) does not match the header: %s. Use the header of the same build '
                . '(Library::configure($library, $header)).',
                $path,
                $origin,
                $native
            ));
        }
        self::$origin = $path;
        return self::$native = $native;
    }

    /**
     * The places discovery looks at, in order, as [description, path] pairs; pure PHP.
     *
     * @internal
     * @return list<array{0: string, 1: string}>
     */
    public static function candidates(?string $explicit, ?string $environment): array
    {
        if ($explicit !== null) {
            return [['the path given to Library::configure()', $explicit]];
        }
        if ($environment !== null) {
            return [['the ' . self::ENVIRONMENT . ' environment variable', $environment]];
        }
        $candidates = [];
        $repository = self::repositoryRoot();
        if ($repository !== null) {
            $candidates[] = ['the release build of this repository', $repository . '/target/release/libskypebus.so'];
            $candidates[] = ['the debug build of this repository', $repository . '/target/debug/libskypebus.so'];
        }
        $candidates[] = ['the system linker path', self::SONAME];
        return $candidates;
    }

    /**
     * The first candidate that loads and has our ABI, as [description, absolute path].
     *
     * @return array{0: string, 1: string}
     */
    private static function resolve(?string $explicit, ?string $environment): array
    {
        $failures = [];
        foreach (self::candidates($explicit, $environment) as [$origin, $path]) {
            $isName = strpos($path, '/') === false;
            if (!$isName && !is_file($path)) {
                $failures[] = is_dir($path)
                    ? sprintf('%s: %s is a directory; name the library file in it (%s/libskypebus.so)', $origin, $path, rtrim($path, '/'))
                    : sprintf('%s: %s: no such file', $origin, $path);
                continue;
            }
            $probe = Native::probe($path);
            if (is_string($probe)) {
                $failures[] = sprintf('%s: %s: %s', $origin, $path, $probe);
                continue;
            }
            [$abi, $version] = $probe;
            if ($abi !== self::ABI_VERSION) {
                $failures[] = sprintf(
                    '%s: %s: ABI %d (version %s), but this package needs ABI %d',
                    $origin,
                    $path,
                    $abi,
                    $version,
                    self::ABI_VERSION
                );
                continue;
            }
            return [$origin, $isName ? $path : (string) realpath($path)];
        }
        throw new LibraryNotFoundException(self::notFoundMessage($failures));
    }

    /**
     * @param list<string> $failures
     */
    private static function notFoundMessage(array $failures): string
    {
        $repository = self::repositoryRoot() ?? '<repository>';
        return "libskypebus could not be loaded. Tried:\n  - " . implode("\n  - ", $failures) . "\n"
            . "Get it in one of these ways (docs/installing.md):\n"
            . '  - the Debian package: apt install ./libskypebus' . self::ABI_VERSION . '_<version>_<arch>.deb (built by make deb '
            . 'in the repository), which puts ' . self::SONAME . " on the system linker path;\n"
            . "  - from source: cd $repository && make build && make install (as root: " . self::SONAME
            . " in /usr/local/lib, then ldconfig runs);\n"
            . '  - the environment variable ' . self::ENVIRONMENT . "=/path/to/libskypebus.so;\n"
            . "  - an explicit path: SkypeBus\\Library::configure('/path/to/libskypebus.so') before the first Bus;\n"
            . "  - in the repository, make build (or cargo build --release): a checkout or a Composer path "
            . 'repository finds target/release/libskypebus.so.';
    }

    /**
     * The C declarations: the explicit header, else the repository's include/skypebus.h, else
     * the copy in this package.
     */
    private static function declarations(?string $header): string
    {
        $candidates = $header !== null ? [$header] : array_filter([
            ($root = self::repositoryRoot()) !== null ? $root . '/include/skypebus.h' : null,
            dirname(__DIR__) . '/include/skypebus.h',
            __DIR__ . '/include/skypebus.h', // the Debian package php-skypebus (/usr/share/php/SkypeBus/)
        ]);
        foreach ($candidates as $file) {
            if (is_file($file)) {
                $text = file_get_contents($file);
                if ($text !== false) {
                    return $text;
                }
            }
        }
        throw new LibraryNotFoundException('The libskypebus header was not found; tried: ' . implode(', ', $candidates));
    }

    /** The header without its #define lines (FFI_SCOPE and FFI_LIB are written afresh). */
    private static function stripDefines(string $header): string
    {
        return (string) preg_replace('/^[ \t]*#[ \t]*define[ \t]+FFI_(SCOPE|LIB)\b.*$/m', '', $header);
    }

    /** The repository this package is part of (a checkout or a path repository), if any. */
    private static function repositoryRoot(): ?string
    {
        $root = realpath(dirname(__DIR__, 2));
        return $root !== false && is_file($root . '/Cargo.toml') && is_dir($root . '/php-ffi') ? $root : null;
    }

    private static function checkAbi(Native $native, string $origin): void
    {
        $abi = $native->abiVersion();
        if ($abi !== self::ABI_VERSION) {
            throw new LibraryNotFoundException(sprintf(
                '%s holds libskypebus with ABI %d, but this package needs ABI %d',
                $origin,
                $abi,
                self::ABI_VERSION
            ));
        }
    }

    private static function assertFfiLoaded(): void
    {
        if (!Native::available()) {
            throw new FFIUnavailableException(
                'The PHP FFI extension is not loaded. Install it (Debian and Ubuntu: it is part of '
                . 'php' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . '-common; other systems: build PHP with --with-ffi) '
                . 'and enable it with extension=ffi in php.ini (Debian: phpenmod ffi).'
            );
        }
        $mode = strtolower((string) ini_get('ffi.enable'));
        if (in_array($mode, ['0', '', 'false', 'off', 'no'], true)) {
            throw new FFIUnavailableException(
                'FFI is disabled by ffi.enable=' . ini_get('ffi.enable') . ' ' . self::iniOrigin('ffi.enable')
                . '. Set ffi.enable=true, or ffi.enable=preload and preload the library '
                . '(opcache.preload=<package>/preload.php, or ffi.preload=<header>).'
            );
        }
    }

    /**
     * Where a setting comes from, for messages: the ini file that sets it, else the command
     * line (-d) or the server's configuration.
     */
    private static function iniOrigin(string $setting): string
    {
        $files = array_filter(array_merge(
            [php_ini_loaded_file()],
            array_map('trim', explode(',', (string) php_ini_scanned_files()))
        ));
        $pattern = '/^\s*' . preg_quote($setting, '/') . '\s*=/m';
        foreach (array_reverse($files) as $file) {
            $text = is_readable($file) ? file_get_contents($file) : false;
            if (is_string($text) && preg_match($pattern, $text) === 1) {
                return 'in ' . $file;
            }
        }
        return PHP_SAPI === 'cli'
            ? 'on the command line (php -d ' . $setting . '=..., or PHP_INI_SCAN_DIR) rather than in a php.ini file'
            : 'by the ' . PHP_SAPI . ' configuration (for example php_admin_value in a pool file), not in a php.ini file';
    }

    private static function assertCdefAllowed(): void
    {
        $mode = strtolower((string) ini_get('ffi.enable'));
        if ($mode === 'preload' && PHP_SAPI !== 'cli') {
            throw new FFIUnavailableException(
                'ffi.enable=preload allows FFI in the ' . PHP_SAPI . ' SAPI only through preloading, and the '
                . 'libskypebus FFI scope "' . self::SCOPE . '" is not loaded. Set opcache.preload=<package>/preload.php '
                . '(as an unprivileged user), or ffi.preload=<header from vendor/bin/skypebus-ffi-header> together '
                . 'with opcache.preload (when PHP starts as root with opcache.preload_user); or set ffi.enable=true.'
            );
        }
    }
}
