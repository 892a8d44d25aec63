<?php

declare(strict_types=1);

// Test bootstrap: Composer's autoloader when `composer dump-autoload` has run (it works offline),
// else a PSR-4 loader of our own, so Debian's phpunit runs the tests with no vendor/ at all.

if (is_file(__DIR__ . '/../vendor/autoload.php')) {
    require __DIR__ . '/../vendor/autoload.php';
    return;
}

spl_autoload_register(static function (string $class): void {
    $prefixes = [
        'SkypeBus\\Tests\\' => __DIR__ . '/',
        'SkypeBus\\' => __DIR__ . '/../src/',
    ];
    foreach ($prefixes as $prefix => $directory) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $directory . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
require_once __DIR__ . '/../src/functions.php';
