<?php
// Loads the PHP package's generated header (php-ffi/include/skypebus.h) against the built library,
// as PHP users do: with FFI::cdef (the package's way) and with FFI::load (preloading's way, which
// reads FFI_SCOPE and FFI_LIB from the file; run with the library's directory on LD_LIBRARY_PATH).
// Proves PHP's FFI parser accepts the header, that every declared function resolves in the
// library, and that the generated PHP constants agree with the library.
// Usage: php -d ffi.enable=1 ffi_header.php <php-ffi/include/skypebus.h> <library>
declare(strict_types=1);

[$_, $header, $library] = $argv + [null, null, null];
$package = dirname(__DIR__, 2) . '/php-ffi';
require $package . '/src/Internal/ResultCode.php';
require $package . '/src/Internal/HeaderConstants.php';

use SkypeBus\Internal\HeaderConstants;
use SkypeBus\Internal\ResultCode;

$code = file_get_contents($header);
$passed = 0;
$failed = 0;
function check(bool $ok, string $what): void
{
    global $passed, $failed;
    $ok ? $passed++ : $failed++;
    echo ($ok ? 'ok' : 'not ok') . " - $what\n";
}

preg_match_all('/^[ \t]*#.*$/m', $code, $directives);
check(
    $directives[0] === ['#define FFI_SCOPE "SKYPEBUS"', '#define FFI_LIB "libskypebus.so.0"'],
    'the only preprocessor lines are FFI_SCOPE and FFI_LIB: ' . json_encode($directives[0])
);
check(strpos($code, 'extern') === false && strpos($code, '__cplusplus') === false, 'nothing of the C++ guard');

$ffi = FFI::cdef($code, $library);
preg_match_all('/^[a-z][^;(]*?\b(skypebus_\w+)\(/m', $code, $m);
$functions = array_unique($m[1]);
// FFI::cdef resolves every declared function at load time and throws "Failed resolving C
// function" for any the library lacks, so reaching this line means each one resolved.
check(count($functions) >= 10, count($functions) . ' functions declared, each resolved by FFI::cdef');
check($ffi->skypebus_version() !== '', 'skypebus_version() is ' . $ffi->skypebus_version());
$abi = $ffi->skypebus_abi_version();
check($abi === HeaderConstants::ABI_VERSION, "ABI $abi is the generated HeaderConstants::ABI_VERSION");

// The generated result codes against the library: a NULL address is NULL_ARGUMENT, a bad one
// INVALID_NAME or CONNECT_FAILED; the error object reports the same code.
$connection = $ffi->new('skypebus_connection*');
$error = $ffi->new('skypebus_error*');
$result = $ffi->skypebus_connection_open(null, FFI::addr($connection), FFI::addr($error));
check(
    $result === ResultCode::NULL_ARGUMENT && $ffi->skypebus_error_code($error) === ResultCode::NULL_ARGUMENT,
    "a NULL address is ResultCode::NULL_ARGUMENT ($result)"
);
$ffi->skypebus_error_free($error);
check($ffi->SKYPEBUS_EMPTY === ResultCode::EMPTY, 'the header\'s SKYPEBUS_EMPTY is ResultCode::EMPTY');
check(
    $ffi->SKYPEBUS_NAME_DO_NOT_QUEUE === HeaderConstants::NAME_DO_NOT_QUEUE,
    'the header\'s SKYPEBUS_NAME_DO_NOT_QUEUE is HeaderConstants::NAME_DO_NOT_QUEUE'
);

// FFI::load: the scope and library come from the file's own defines.
$loaded = FFI::load($header);
check($loaded !== null && $loaded->skypebus_abi_version() === $abi, 'FFI::load() of the header (FFI_LIB ' . HeaderConstants::FFI_LIB . ')');

printf("%d passed, %d failed\n", $passed, $failed);
exit($failed === 0 ? 0 : 1);
