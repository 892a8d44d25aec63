<?php

/*
 * Autoloader of the Debian package php-skypebus, installed as /usr/share/php/SkypeBus/autoload.php
 * (/usr/share/php is on PHP's include_path):
 *
 *     require_once 'SkypeBus/autoload.php';
 *
 * Maps SkypeBus\X\Y to X/Y.php beside this file, as the Composer package's PSR-4 rule maps it
 * into src/, and loads the package's functions. It does not touch FFI: libskypebus is loaded (as
 * libskypebus.so.<ABI> from the system linker path, the package libskypebus<ABI>) by the first Bus.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (strncmp($class, 'SkypeBus\\', 9) !== 0) {
        return;
    }
    $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, 9)) . '.php';
    if (is_file($file)) {
        require $file;
    }
});

require_once __DIR__ . '/functions.php';
