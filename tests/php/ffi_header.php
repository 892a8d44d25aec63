<?php
// Loads the checked-in header with FFI::cdef against the built library, as PHP users do:
// proves PHP's FFI parser accepts the header as it is and that every declared function
// resolves in the library. Usage: php -d ffi.enable=1 ffi_header.php <header> <library>
declare(strict_types=1);

[$_, $header, $library] = $argv + [null, null, null];
$code = file_get_contents($header);
$ffi = FFI::cdef($code, $library);

preg_match_all('/^[a-z][^;(]*?\b(skypebus_\w+)\(/m', $code, $m);
$functions = array_unique($m[1]);
$failed = 0;
// FFI::cdef resolves every declared function at load time and throws "Failed resolving C
// function" for any the library lacks, so reaching this line means each one resolved.
foreach ($functions as $fn) {
    echo "ok - $fn resolves\n";
}
if (count($functions) < 10) {
    echo "not ok - only " . count($functions) . " functions found in the header\n";
    $failed++;
}
if ($ffi->skypebus_version() === '') {
    echo "not ok - empty version\n";
    $failed++;
}
$abi = $ffi->skypebus_abi_version();
preg_match('/#define SKYPEBUS_ABI_VERSION (\d+)/', $code, $abiDefine);
if ((int)$abiDefine[1] !== $abi) {
    echo "not ok - ABI version {$abi} differs from the header's {$abiDefine[1]}\n";
    $failed++;
}
printf("%d passed, %d failed\n", count($functions) + 1 - $failed, $failed);
exit($failed === 0 ? 0 : 1);
