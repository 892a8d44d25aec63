<?php

/*
 * opcache.preload script for PHP-FPM (and any other non-CLI SAPI) running with the default
 * ffi.enable=preload, where FFI may be used only by preloaded code:
 *
 *     opcache.preload=/path/to/vendor/skypebus/skypebus/preload.php
 *     ; only when PHP starts as root:
 *     opcache.preload_user=www-data
 *
 * It compiles the package's classes into the preloaded set and loads libskypebus into the FFI
 * scope "SKYPEBUS" (found as at runtime: SKYPEBUS_LIBRARY, this repository's build, the system
 * linker path). When PHP starts as root, FFI::load() cannot run in preloading: add
 * ffi.preload=<header>, with the header printed by vendor/bin/skypebus-ffi-header, and this
 * script then only preloads the classes.
 *
 * To name the library explicitly, set SKYPEBUS_LIBRARY in the environment of the PHP master
 * process, or preload your own two-line script:
 *     $skypebusPreloadLibrary = '/opt/skypebus/lib/libskypebus.so';
 *     require '/path/to/vendor/skypebus/skypebus/preload.php';
 */

declare(strict_types=1);

(static function (?string $library): void {
    $source = __DIR__ . '/src/';
    spl_autoload_register(static function (string $class) use ($source): void {
        if (strncmp($class, 'SkypeBus\\', 9) === 0) {
            $file = $source . str_replace('\\', '/', substr($class, 9)) . '.php';
            if (is_file($file)) {
                require_once $file;
            }
        }
    });
    $files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($source, FilesystemIterator::SKIP_DOTS));
    foreach ($files as $file) {
        $path = $file->getPathname();
        if (substr($path, -4) !== '.php') {
            continue;
        }
        if ($file->getFilename() === 'functions.php') {
            // Left to Composer's "files" autoload: preloading it would make that a redeclaration.
            // Its functions use the preloaded classes, which are the ones calling FFI.
            continue;
        }
        $class = 'SkypeBus\\' . str_replace('/', '\\', substr($path, strlen($source), -4));
        class_exists($class) || interface_exists($class);
    }
    \SkypeBus\Library::preload($library);
})(isset($skypebusPreloadLibrary) && is_string($skypebusPreloadLibrary) ? $skypebusPreloadLibrary : null);
