<?php

declare(strict_types=1);

// The bootstrap of the unit runs on php-wasm (tests/php-wasm-check.sh): the tests' own
// bootstrap, then every class of src/ (and the classes skypebus-codegen generated into
// tests/.generated for the check) compiled once, so that what a PHP version reports about a file
// at compile time (a deprecation, say) is reported for classes no unit test loads as well.

require __DIR__ . '/../bootstrap.php';

$package = dirname(__DIR__, 2);
$files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($package . '/src', FilesystemIterator::SKIP_DOTS));
foreach ($files as $file) {
    $relative = substr((string) $file, strlen($package . '/src/'), -4);
    if (substr((string) $file, -4) !== '.php' || $relative === 'functions') {
        continue;
    }
    $class = 'SkypeBus\\' . str_replace('/', '\\', $relative);
    if (!class_exists($class) && !interface_exists($class)) {
        throw new LogicException("$file does not declare $class");
    }
}
foreach (glob($package . '/tests/.generated/*.php') ?: [] as $generated) {
    require_once $generated;
}
