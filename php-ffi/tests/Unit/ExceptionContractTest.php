<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\FFIUnavailableException;
use SkypeBus\Exception\LibraryNotFoundException;
use SkypeBus\Exception\SkypeBusException;

/**
 * The contract of the package's exceptions: one interface, declaring getErrorName(), that every
 * exception class implements, so `catch (SkypeBusException $e) { $e->getErrorName(); }` works for
 * each of them, the loading failures included.
 */
final class ExceptionContractTest extends TestCase
{
    public function testTheInterfaceDeclaresGetErrorName(): void
    {
        $interface = new \ReflectionClass(SkypeBusException::class);
        self::assertTrue($interface->hasMethod('getErrorName'));
        $method = $interface->getMethod('getErrorName');
        self::assertSame(0, $method->getNumberOfParameters());
        $type = $method->getReturnType();
        self::assertInstanceOf(\ReflectionNamedType::class, $type);
        self::assertSame('string', $type->getName());
    }

    public function testEveryExceptionClassImplementsTheInterface(): void
    {
        $classes = [];
        foreach (glob(dirname(__DIR__, 2) . '/src/Exception/*.php') ?: [] as $file) {
            $class = 'SkypeBus\\Exception\\' . basename($file, '.php');
            $reflection = new \ReflectionClass($class);
            if ($reflection->isInterface()) {
                continue;
            }
            $classes[] = $class;
            self::assertTrue($reflection->implementsInterface(SkypeBusException::class), $class);
            self::assertTrue($reflection->isSubclassOf(\Throwable::class), $class);
        }
        self::assertGreaterThanOrEqual(17, count($classes));
    }

    public function testTheLoadingFailuresHaveErrorNames(): void
    {
        $ffi = new FFIUnavailableException('no FFI');
        self::assertSame('net.skypebus.Error.FFIUnavailable', $ffi->getErrorName());
        self::assertSame('no FFI', $ffi->getMessage());
        $library = new LibraryNotFoundException('no library');
        self::assertSame('net.skypebus.Error.LibraryNotFound', $library->getErrorName());
    }

    /**
     * @return array<string, array{0: list<string>, 1: array<string, string>, 2: string}>
     */
    public function loadingFailures(): array
    {
        return [
            'FFI disabled' => [['ffi.enable=0'], [], 'SkypeBus\Exception\FFIUnavailableException net.skypebus.Error.FFIUnavailable'],
            'library missing' => [
                [],
                ['SKYPEBUS_LIBRARY' => '/nonexistent/libskypebus.so'],
                'SkypeBus\Exception\LibraryNotFoundException net.skypebus.Error.LibraryNotFound',
            ],
        ];
    }

    /**
     * @group host
     * @dataProvider loadingFailures
     * @param list<string> $ini
     * @param array<string, string> $env
     */
    public function testOneCatchTakesTheLoadingFailures(array $ini, array $env, string $expected): void
    {
        $command = [PHP_BINARY];
        foreach ($ini as $setting) {
            $command[] = '-d';
            $command[] = $setting;
        }
        $command[] = '-r';
        $command[] = 'require ' . var_export(dirname(__DIR__) . '/bootstrap.php', true) . ';'
            . 'try { SkypeBus\Bus::session(); } catch (SkypeBus\Exception\SkypeBusException $e) {'
            . ' echo get_class($e), " ", $e->getErrorName(); exit(3); }';
        $environment = getenv();
        unset($environment['SKYPEBUS_LIBRARY']);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, null, $env + $environment);
        self::assertIsResource($process);
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        self::assertSame(3, proc_close($process), $output);
        self::assertSame($expected, $output);
    }
}
