<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;

/**
 * The messages of Bus::session() and Bus::system() that fail, in child processes whose
 * environment points nowhere (no bus is ever reached).
 *
 * @group host
 */
final class BusAddressConnectTest extends TestCase
{
    /**
     * @param array<string, string|null> $env null: unset
     */
    private static function connect(string $bus, array $env): string
    {
        // Through env(1): proc_open() drops variables whose value is empty.
        $command = ['env'];
        foreach ($env as $name => $value) {
            array_push($command, ...($value === null ? ['-u', $name] : ["$name=$value"]));
        }
        $code = 'require ' . var_export(dirname(__DIR__) . '/bootstrap.php', true) . ';'
            . "try { SkypeBus\\Bus::$bus(); echo 'connected'; } catch (SkypeBus\\Exception\\ConnectFailedException \$e) { echo \$e->getMessage(); }";
        array_push($command, PHP_BINARY, '-d', 'ffi.enable=1', '-r', $code);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes);
        self::assertIsResource($process);
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        proc_close($process);
        return $output;
    }

    public function testAnUnsetSessionVariableIsNamed(): void
    {
        $output = self::connect('session', ['DBUS_SESSION_BUS_ADDRESS' => null, 'XDG_RUNTIME_DIR' => '/nonexistent/run']);
        self::assertStringContainsString('cannot connect', $output);
        self::assertStringContainsString('DBUS_SESSION_BUS_ADDRESS is not set', $output);
    }

    public function testAnEmptyVariableIsNamed(): void
    {
        self::assertStringContainsString('DBUS_SESSION_BUS_ADDRESS is set but empty', self::connect('session', ['DBUS_SESSION_BUS_ADDRESS' => '']));
        self::assertStringContainsString('DBUS_SYSTEM_BUS_ADDRESS is set but empty', self::connect('system', ['DBUS_SYSTEM_BUS_ADDRESS' => '']));
    }

    public function testAWrongAddressIsShownWithItsVariable(): void
    {
        $output = self::connect('system', ['DBUS_SYSTEM_BUS_ADDRESS' => 'unix:path=/nonexistent/system_bus_socket']);
        self::assertStringContainsString('the address is DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/system_bus_socket"', $output);
    }
}
