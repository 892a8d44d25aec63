<?php

/*
 * The class loader of the package's commands (bin/): Composer's autoloader when the package is
 * installed with Composer (its own vendor/, or the project's), else a PSR-4 loader of src/.
 */

declare(strict_types=1);

foreach ([__DIR__ . '/../vendor/autoload.php', __DIR__ . '/../../../autoload.php'] as $autoload) {
    if (is_file($autoload)) {
        require $autoload;
        break;
    }
}
if (!class_exists(\SkypeBus\Library::class)) {
    spl_autoload_register(static function (string $class): void {
        if (strncmp($class, 'SkypeBus\\', 9) === 0) {
            $file = __DIR__ . '/../src/' . str_replace('\\', '/', substr($class, 9)) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    });
}
