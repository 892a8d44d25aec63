<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

/**
 * `composer require` from a local path repository, Packagist disabled, into a scratch project;
 * then a script through vendor/autoload.php: the README example as a user runs it. Both path
 * repository modes: symlink (the default; the library is found in this repository's build) and
 * copy (the package alone; the library comes from SKYPEBUS_LIBRARY).
 */
final class ComposerInstallTest extends IntegrationTestCase
{
    /** @var string */
    private $project;

    protected function setUp(): void
    {
        parent::setUp();
        $this->project = static::$private->directory() . '/project-' . bin2hex(random_bytes(3));
        mkdir($this->project . '/home', 0755, true);
    }

    /**
     * @param list<string> $command
     * @param array<string, string> $extra
     * @return array{0: int, 1: string}
     */
    /**
     * @param list<string> $command
     * @param array<string, string> $extra
     * @return array{0: int, 1: string}
     */
    private function runInProject(array $command, array $extra = []): array
    {
        $environment = getenv();
        unset($environment['SKYPEBUS_LIBRARY']);
        $environment = array_merge($environment, [
            'COMPOSER_HOME' => $this->project . '/home',
            'COMPOSER_CACHE_DIR' => $this->project . '/home/cache',
            'COMPOSER_ALLOW_SUPERUSER' => '1',
            'COMPOSER_NO_INTERACTION' => '1',
            'DBUS_SESSION_BUS_ADDRESS' => static::$private->address(),
        ], $extra);
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, $this->project, $environment);
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        return [proc_close($process), $output];
    }

    private function install(bool $symlink): void
    {
        file_put_contents($this->project . '/composer.json', json_encode([
            'name' => 'example/app',
            'require' => ['skypebus/skypebus' => '*@dev'],
            'repositories' => [
                ['type' => 'path', 'url' => dirname(__DIR__, 2), 'options' => ['symlink' => $symlink]],
                ['packagist.org' => false],
            ],
        ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
        [$status, $output] = $this->runInProject(['composer', 'install', '--no-progress', '--no-ansi']);
        self::assertSame(0, $status, $output);
        self::assertFileExists($this->project . '/vendor/autoload.php');
        self::assertSame($symlink, is_link($this->project . '/vendor/skypebus/skypebus'));
        self::assertFileExists($this->project . '/vendor/skypebus/skypebus/include/skypebus.h');

        // The README's 30-second example, as written there (on the private session bus).
        $readme = (string) file_get_contents(dirname(__DIR__, 2) . '/README.md');
        self::assertSame(1, preg_match('/<!-- example -->\s*```php\n(.*?)```/s', $readme, $match), 'README example');
        file_put_contents($this->project . '/example.php', $match[1]);
        // The repository's top-level README shows the very same example.
        $top = (string) file_get_contents(dirname(__DIR__, 3) . '/README.md');
        self::assertSame(1, preg_match('/<!-- example -->\s*```php\n(.*?)```/s', $top, $topMatch), 'top README example');
        self::assertSame($match[1], $topMatch[1], 'README.md and php-ffi/README.md show the same example');
        // The first example says what each form returns (a newcomer's surprise, issue 17).
        self::assertStringContainsString("call() always\n// returns the LIST of the reply's values", $match[1]);
        self::assertStringContainsString('the value itself for one, a list only for several', $match[1]);
    }

    private function assertExampleRuns(array $environment = []): void
    {
        [$status, $output] = $this->runInProject([PHP_BINARY, 'example.php'], $environment);
        self::assertSame(0, $status, $output);
        self::assertStringContainsString('Bus id: ' . $this->driver('GetId')[0], $output);
        self::assertMatchesRegularExpression('/My unique name: :\d+\.\d+/', $output);
        self::assertStringContainsString('org.freedesktop.DBus is owned by org.freedesktop.DBus', $output);
    }

    public function testInstallFromAPathRepositoryWithSymlink(): void
    {
        $this->install(true);
        $this->assertExampleRuns();
    }

    public function testInstallFromAPathRepositoryAsACopy(): void
    {
        $this->install(false);
        [$status, $output] = $this->runInProject([PHP_BINARY, 'example.php']);
        self::assertNotSame(0, $status, 'a copied package has no repository build to find');
        self::assertStringContainsString('LibraryNotFoundException', $output);
        self::assertStringContainsString('SKYPEBUS_LIBRARY', $output);
        $library = dirname(__DIR__, 3) . '/target/release/libskypebus.so';
        $this->assertExampleRuns(['SKYPEBUS_LIBRARY' => $library]);
    }

    public function testTheOneCallSkypeFunctionComesWithTheAutoloader(): void
    {
        $this->install(true);
        $emulator = static::$private->startSkypeEmulator();
        try {
            [$status, $output] = $this->runInProject([
                PHP_BINARY,
                '-r',
                'require "vendor/autoload.php"; echo SkypeBus\skype_send_chat_message("bob", "Hello from Composer");',
            ]);
        } finally {
            static::$private->kill($emulator);
        }
        self::assertSame(0, $status, $output);
        self::assertMatchesRegularExpression('/^\d+$/', $output);
    }
}
