<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Support;

use SkypeBus\Bus;

/**
 * A private dbus-daemon for tests, with the peers started on it (dbusmock objects and
 * templates, Python services). Never the machine's own buses: peers get this bus as both their
 * session and their system bus. Every process is killed by stop() or when the object goes away.
 */
final class PrivateBus
{
    /** Debian's python3: it has dbus-python, dbusmock and gi (a pyenv python3 on PATH may not). */
    public const PYTHON = '/usr/bin/python3';

    /** A name the bus refuses to let anyone own (for AccessDenied). */
    public const FORBIDDEN_NAME = 'net.skypebus.Test.Forbidden';

    /** @var string */
    private $dir;

    /** @var string the bus's unix address (what the peers we did not write connect to) */
    private $address;

    /** @var string the address the package's connections use: $address, or the bus's tcp one */
    private $clientAddress;

    /** @var resource|null */
    private $daemon;

    /** @var list<resource> */
    private $children = [];

    /** @var int */
    private $logs = 0;

    /** @var array<int, string> process resource id => its log file */
    private $logFiles = [];

    private function __construct(string $dir)
    {
        $this->dir = $dir;
    }

    /**
     * Starts a bus. With $transport 'tcp' it listens on a loopback tcp port as well, and the
     * package's connections (connect(), connectPrivate(), clientAddress()) go there, through
     * zbus' socket in the library, authenticated with ANONYMOUS; the peers we did not write stay
     * on the unix socket.
     */
    public static function start(string $transport = 'unix'): self
    {
        if ($transport !== 'unix' && $transport !== 'tcp') {
            throw new \InvalidArgumentException("unknown transport $transport");
        }
        $tcp = $transport === 'tcp'
            ? "<listen>tcp:host=127.0.0.1,port=0</listen>\n  <auth>ANONYMOUS</auth>\n  <allow_anonymous/>"
            : '';
        $dir = self::newDirectory();
        $bus = new self($dir);
        file_put_contents($dir . '/bus.conf', <<<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  $tcp
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <deny own="net.skypebus.Test.Forbidden"/>
  </policy>
  <limit name="max_message_size">134217728</limit>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_replies_per_connection">50000</limit>
  <limit name="reply_timeout">300000</limit>
</busconfig>
XML
        );
        $bus->launch($transport);
        return $bus;
    }

    /**
     * Starts a bus with a configuration of tests/support (a policy, activation files in
     * directory() . '/services'), where @DIR@ stands for the bus's own directory.
     */
    public static function startWithConfig(string $config): self
    {
        $bus = new self(self::newDirectory());
        mkdir($bus->dir . '/services', 0755);
        $template = (string) file_get_contents(dirname(__DIR__, 3) . '/tests/support/' . $config);
        file_put_contents($bus->dir . '/bus.conf', str_replace('@DIR@', $bus->dir, $template));
        $bus->launch('unix');
        return $bus;
    }

    /** A new directory for a bus, named after this process (run.sh finds what is left). */
    private static function newDirectory(): string
    {
        $dir = sys_get_temp_dir() . '/skypebus-php-test-' . getmypid() . '-' . bin2hex(random_bytes(4));
        if (!mkdir($dir, 0755)) {
            throw new \RuntimeException("cannot create $dir");
        }
        chmod($dir, 0755);
        return $dir;
    }

    /** Starts dbus-daemon on directory() . '/bus.conf' and reads its addresses. */
    private function launch(string $transport): void
    {
        $dir = $this->dir;
        $process = proc_open(
            ['dbus-daemon', '--config-file=' . $dir . '/bus.conf', '--print-address=1', '--nofork'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $dir . '/dbus-daemon.log', 'w']],
            $pipes
        );
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start dbus-daemon (apt-get install dbus-daemon)');
        }
        $this->daemon = $process;
        $line = fgets($pipes[1]);
        fclose($pipes[1]);
        // With several listening addresses, dbus-daemon prints them all, ';'-separated.
        $addresses = [];
        foreach (explode(';', trim((string) $line)) as $address) {
            $addresses[(string) strstr($address, ':', true)] = $address;
        }
        if (!isset($addresses['unix'], $addresses[$transport])) {
            $this->stop();
            throw new \RuntimeException("dbus-daemon gave no unix and $transport address: " . var_export($line, true));
        }
        $this->address = $addresses['unix'];
        $this->clientAddress = $addresses[$transport];
        @chmod($dir . '/bus', 0777);
    }

    public function address(): string
    {
        return $this->address;
    }

    public function directory(): string
    {
        return $this->dir;
    }

    /** The address the package's connections to this bus use. */
    public function clientAddress(): string
    {
        return $this->clientAddress;
    }

    /** A (shared) connection of ours to this bus. */
    public function connect(): Bus
    {
        return Bus::connect($this->clientAddress);
    }

    /** A private connection of ours to this bus. */
    public function connectPrivate(): Bus
    {
        return Bus::connectPrivate($this->clientAddress);
    }

    /**
     * The environment of the processes started on this bus.
     *
     * @return array<string, string>
     */
    public function environment(): array
    {
        $environment = getenv();
        $environment['DBUS_SESSION_BUS_ADDRESS'] = $this->address;
        $environment['DBUS_SYSTEM_BUS_ADDRESS'] = $this->address;
        unset($environment['DBUS_STARTER_ADDRESS'], $environment['DBUS_STARTER_BUS_TYPE']);
        return $environment;
    }

    /**
     * Starts a process on this bus; it is killed with the bus. Its output goes to a log file in
     * the bus directory.
     *
     * @param list<string> $command
     * @return resource
     */
    public function spawn(array $command)
    {
        $log = sprintf('%s/process-%d.log', $this->dir, ++$this->logs);
        $process = proc_open(
            $command,
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']],
            $pipes,
            null,
            $this->environment()
        );
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start ' . implode(' ', $command));
        }
        $this->children[] = $process;
        $this->logFiles[(int) $process] = $log;
        return $process;
    }

    /**
     * What a process started with spawn() has written so far (stdout and stderr).
     *
     * @param resource $process
     */
    public function output($process): string
    {
        return (string) @file_get_contents($this->logFiles[(int) $process] ?? '');
    }

    /**
     * Waits (up to $seconds) until the output of a process started with spawn() contains
     * $text; returns the output.
     *
     * @param resource $process
     */
    public function waitForOutput($process, string $text, float $seconds = 10.0): string
    {
        $deadline = microtime(true) + $seconds;
        while (strpos($output = $this->output($process), $text) === false) {
            if (microtime(true) > $deadline) {
                throw new \RuntimeException("no \"$text\" in the output:\n$output\nlogs:\n" . $this->logs());
            }
            usleep(20000);
        }
        return $output;
    }

    /**
     * Starts a dbusmock object (python3 -m dbusmock NAME PATH INTERFACE) and waits for its name.
     *
     * @return resource
     */
    public function startMock(string $name, string $path, string $interface)
    {
        $process = $this->spawn([self::PYTHON, '-m', 'dbusmock', $name, $path, $interface]);
        $this->waitForName($name);
        return $process;
    }

    /**
     * Starts a dbusmock template (notification_daemon, upower, networkmanager, ...) and waits
     * for the name it owns.
     *
     * @param array<string, mixed>|null $parameters
     * @return resource
     */
    public function startTemplate(string $template, string $name, ?array $parameters = null)
    {
        $command = [self::PYTHON, '-m', 'dbusmock', '--template', $template];
        if ($parameters !== null) {
            $command[] = '--parameters';
            $command[] = json_encode($parameters);
        }
        $process = $this->spawn($command);
        $this->waitForName($name);
        return $process;
    }

    /**
     * Starts one of the Python services in tests/Support and waits for its name.
     *
     * @param list<string> $args
     * @return resource
     */
    public function startService(string $script, string $name, array $args = [])
    {
        $process = $this->spawn(array_merge([self::PYTHON, __DIR__ . '/' . $script], $args));
        $this->waitForName($name);
        return $process;
    }

    /**
     * Starts the Skype emulator (SKYPEBUS_EMULATOR, else the repository's release build) with
     * extra arguments, writing its transcript to a file in the bus directory, and waits until it
     * owns com.Skype.API.
     *
     * @param list<string> $args
     * @return resource
     */
    public function startSkypeEmulator(array $args = [])
    {
        $program = getenv('SKYPEBUS_EMULATOR') ?: dirname(__DIR__, 3) . '/target/release/skypebus-skype-emulator';
        if (!is_executable($program)) {
            throw new \RuntimeException("$program is missing: cargo build --release --bins");
        }
        $transcript = sprintf('%s/skype-%d.transcript', $this->dir, $this->logs + 1);
        $process = $this->spawn(array_merge([$program, '--address', $this->address, '--transcript', $transcript], $args));
        $this->waitForName('com.Skype.API');
        return $process;
    }

    /** Waits (up to 20 s) until the name has an owner. */
    public function waitForName(string $name, float $seconds = 20.0): void
    {
        $bus = $this->connect();
        $deadline = microtime(true) + $seconds;
        while (true) {
            [$owned] = $bus->call(
                'org.freedesktop.DBus',
                '/org/freedesktop/DBus',
                'org.freedesktop.DBus',
                'NameHasOwner',
                [$name],
                's'
            );
            if ($owned) {
                $bus->close();
                return;
            }
            if (microtime(true) > $deadline) {
                throw new \RuntimeException("$name did not appear on the bus; logs:\n" . $this->logs());
            }
            usleep(20000);
        }
    }

    /** The output of the processes started on the bus, for failure messages. */
    public function logs(): string
    {
        $text = '';
        foreach (glob($this->dir . '/*.log') ?: [] as $file) {
            $text .= '--- ' . basename($file) . "\n" . file_get_contents($file);
        }
        return $text;
    }

    /**
     * Kills one process started with spawn().
     *
     * @param resource $process
     */
    public function kill($process): void
    {
        self::terminate($process);
        $this->children = array_values(array_filter($this->children, static function ($child) use ($process): bool {
            return $child !== $process;
        }));
    }

    /** Kills the daemon only, as if the bus died; the peers are left to notice. */
    public function killDaemon(): void
    {
        if ($this->daemon !== null) {
            self::terminate($this->daemon);
            $this->daemon = null;
        }
    }

    /** Kills every process and removes the bus directory. Idempotent. */
    public function stop(): void
    {
        foreach ($this->children as $child) {
            self::terminate($child);
        }
        $this->children = [];
        $this->killDaemon();
        self::remove($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }

    private static function remove(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (scandir($path) ?: [] as $entry) {
                if ($entry !== '.' && $entry !== '..') {
                    self::remove($path . '/' . $entry);
                }
            }
            @rmdir($path);
        } elseif (file_exists($path) || is_link($path)) {
            @unlink($path);
        }
    }

    /**
     * SIGTERM, then SIGKILL after a second, and reap.
     *
     * @param resource $process
     */
    private static function terminate($process): void
    {
        if (!is_resource($process)) {
            return;
        }
        $status = proc_get_status($process);
        if ($status['running']) {
            proc_terminate($process, 15);
            $deadline = microtime(true) + 1.0;
            while (($status = proc_get_status($process))['running'] && microtime(true) < $deadline) {
                usleep(10000);
            }
            if ($status['running']) {
                proc_terminate($process, 9);
            }
        }
        proc_close($process);
    }
}
