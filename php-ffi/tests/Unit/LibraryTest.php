<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Library;

/**
 * Library discovery and the FFI checks, without a library: pure parts in process, the rest in
 * child PHP processes with their own ini settings.
 */
final class LibraryTest extends TestCase
{
    private static function packageDir(): string
    {
        return dirname(__DIR__, 2);
    }

    public function testDiscoveryOrder(): void
    {
        self::assertSame([['the path given to Library::configure()', '/x/lib.so']], Library::candidates('/x/lib.so', '/y/lib.so'));
        self::assertSame([['the SKYPEBUS_LIBRARY environment variable', '/y/lib.so']], Library::candidates(null, '/y/lib.so'));
        $candidates = Library::candidates(null, null);
        $root = dirname(self::packageDir());
        if (is_file($root . '/Cargo.toml')) {
            self::assertSame([
                ['the release build of this repository', realpath($root) . '/target/release/libskypebus.so'],
                ['the debug build of this repository', realpath($root) . '/target/debug/libskypebus.so'],
                ['the system linker path', 'libskypebus.so.0'],
            ], $candidates);
        } else {
            self::assertSame([['the system linker path', 'libskypebus.so.0']], $candidates);
        }
        self::assertSame('libskypebus.so.' . Library::ABI_VERSION, Library::SONAME);
    }

    /**
     * @group host
     */
    public function testThePackagedFilesAreWhatTheGeneratorMakesOfTheCHeader(): void
    {
        $root = dirname(self::packageDir());
        self::assertFileExists(self::packageDir() . '/include/skypebus.h');
        if (!is_file($root . '/include/skypebus.h') || !is_file($root . '/scripts/php-header.py')) {
            self::markTestSkipped('not in a checkout of the repository');
        }
        $command = 'cd ' . escapeshellarg($root) . ' && python3 scripts/php-header.py --check include/skypebus.h php-ffi 2>&1';
        exec($command, $lines, $status);
        self::assertSame(0, $status, "stale generated files (run make header):\n" . implode("\n", $lines));
    }

    public function testThePackagedHeaderHasOnlyTheFfiDefinesAndNoCxxGuard(): void
    {
        $header = (string) file_get_contents(self::packageDir() . '/include/skypebus.h');
        preg_match_all('/^[ \t]*#.*$/m', $header, $directives);
        self::assertSame(['#define FFI_SCOPE "SKYPEBUS"', '#define FFI_LIB "libskypebus.so.0"'], $directives[0]);
        self::assertStringNotContainsString('extern "C"', $header);
        self::assertStringNotContainsString('__cplusplus', $header);
        self::assertSame(substr_count($header, '{'), substr_count($header, '}'));
    }

    /**
     * @group host
     */
    public function testTheCHeaderIsRefusedWithAClearMessage(): void
    {
        $root = dirname(self::packageDir());
        $library = $root . '/target/release/libskypebus.so';
        if (!is_file($library) || !is_file($root . '/include/skypebus.h')) {
            self::markTestSkipped('needs the repository\'s release build');
        }
        [$status, $output] = self::php(sprintf(
            'SkypeBus\Library::configure(%s, %s);'
            . 'try { SkypeBus\Library::version(); } catch (SkypeBus\Exception\LibraryNotFoundException $e) { echo $e->getMessage(); exit(3); }',
            var_export($library, true),
            var_export($root . '/include/skypebus.h', true)
        ));
        self::assertSame(3, $status, $output);
        self::assertStringContainsString('/include/skypebus.h is the C header (it has the C++ extern "C" guard', $output);
        self::assertStringContainsString('include/skypebus.h of the PHP package', $output);
    }

    /**
     * Runs PHP code in a child process with the test bootstrap loaded.
     *
     * @param list<string> $ini
     * @param array<string, string> $env
     * @return array{0: int, 1: string}
     */
    private static function php(string $code, array $ini = [], array $env = []): array
    {
        $command = [PHP_BINARY];
        foreach ($ini as $setting) {
            $command[] = '-d';
            $command[] = $setting;
        }
        $command[] = '-r';
        $command[] = 'require ' . var_export(self::packageDir() . '/tests/bootstrap.php', true) . ';' . $code;
        $environment = getenv();
        unset($environment['SKYPEBUS_LIBRARY']);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, null, $env + $environment);
        self::assertIsResource($process);
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        return [proc_close($process), $output];
    }

    /**
     * @group host
     */
    public function testNothingTouchesFfiAtAutoloadTime(): void
    {
        $code = <<<'PHP'
            $dir = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(getenv('SRC')));
            foreach ($dir as $file) {
                if (substr((string) $file, -4) === '.php' && basename((string) $file) !== 'functions.php') {
                    $class = 'SkypeBus\\' . str_replace('/', '\\', substr((string) $file, strlen(getenv('SRC')) + 1, -4));
                    class_exists($class) || interface_exists($class) || die("cannot load $class\n");
                }
            }
            echo json_encode([new SkypeBus\Type\UInt64('18446744073709551615'), new SkypeBus\Type\Bytes("\0")]), "\n";
            $bus = SkypeBus\Bus::class;
            function_exists('SkypeBus\skype_send_chat_message') || die("skype_send_chat_message is not declared\n");
            echo "loaded\n";
            PHP;
        [$status, $output] = self::php($code, ['ffi.enable=0'], ['SRC' => self::packageDir() . '/src']);
        self::assertSame(0, $status, $output);
        self::assertSame("[{\"type\":\"t\",\"data\":\"18446744073709551615\"},{\"type\":\"ay\",\"data\":\"AA==\"}]\nloaded\n", $output);
    }

    /**
     * @group host
     */
    public function testDisabledFfiSaysWhatToSet(): void
    {
        [$status, $output] = self::php(
            'try { SkypeBus\Bus::session(); } catch (SkypeBus\Exception\FFIUnavailableException $e) { echo $e->getMessage(); exit(3); }',
            ['ffi.enable=0']
        );
        self::assertSame(3, $status, $output);
        self::assertStringContainsString('FFI is disabled by ffi.enable=0 on the command line (php -d ffi.enable=...', $output);
        self::assertStringNotContainsString('php.ini.', $output);
        self::assertStringContainsString('Set ffi.enable=true', $output);
        self::assertStringContainsString('opcache.preload=', $output);
    }

    /**
     * @group host
     */
    public function testAMissingLibrarySaysEveryWayToProvideIt(): void
    {
        [$status, $output] = self::php(
            'try { SkypeBus\Bus::session(); } catch (SkypeBus\Exception\LibraryNotFoundException $e) { echo $e->getMessage(); exit(3); }',
            [],
            ['SKYPEBUS_LIBRARY' => '/nonexistent/libskypebus.so']
        );
        self::assertSame(3, $status, $output);
        self::assertStringContainsString('the SKYPEBUS_LIBRARY environment variable: /nonexistent/libskypebus.so: no such file', $output);
        self::assertStringContainsString("SkypeBus\\Library::configure('/path/to/libskypebus.so')", $output);
        self::assertStringContainsString('the environment variable SKYPEBUS_LIBRARY=/path/to/libskypebus.so', $output);
        self::assertStringContainsString('the Debian package: apt install ./libskypebus0_<version>_<arch>.deb', $output);
        self::assertStringContainsString('make install', $output);
        self::assertStringContainsString('make build (or cargo build --release)', $output);
        self::assertStringContainsString('libskypebus.so.0 on the system linker path', $output);
        self::assertStringContainsString('docs/installing.md', $output);
    }

    /**
     * @group host
     */
    public function testTheHeaderCommandAnswersHelpAndRefusesUnknownOptions(): void
    {
        $command = self::packageDir() . '/bin/skypebus-ffi-header';
        foreach (['--help', '-h'] as $help) {
            exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($command) . ' ' . $help . ' 2>&1', $lines, $status);
            self::assertSame(0, $status, implode("\n", $lines));
            self::assertSame('Usage: skypebus-ffi-header [LIBRARY]', $lines[0]);
            self::assertStringNotContainsString('libskypebus could not be loaded', implode("\n", $lines));
            $lines = [];
        }
        exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($command) . ' --library=x 2>&1', $lines, $status);
        self::assertSame(2, $status);
        self::assertSame('skypebus-ffi-header: unknown option --library=x', $lines[0]);
    }

    /**
     * @group host
     */
    public function testADirectoryIsNotANoSuchFile(): void
    {
        $directory = sys_get_temp_dir();
        [$status, $output] = self::php(
            'try { SkypeBus\Bus::session(); } catch (SkypeBus\Exception\LibraryNotFoundException $e) { echo $e->getMessage(); exit(3); }',
            [],
            ['SKYPEBUS_LIBRARY' => $directory]
        );
        self::assertSame(3, $status, $output);
        self::assertStringContainsString("the SKYPEBUS_LIBRARY environment variable: $directory is a directory; name the library file in it ($directory/libskypebus.so)", $output);
        self::assertStringNotContainsString('no such file', $output);
    }

    /**
     * @group host
     */
    public function testALibraryThatIsNotLibskypebusIsRefused(): void
    {
        [$status, $output] = self::php(
            'SkypeBus\Library::configure("libc.so.6");'
            . 'try { SkypeBus\Bus::session(); } catch (SkypeBus\Exception\LibraryNotFoundException $e) { echo $e->getMessage(); exit(3); }'
        );
        self::assertSame(3, $status, $output);
        self::assertStringContainsString('the path given to Library::configure(): libc.so.6:', $output);
        self::assertStringContainsString('skypebus_abi_version', $output);
    }
}
