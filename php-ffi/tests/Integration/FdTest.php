<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Type\Fd;
use SkypeBus\Type\Variant;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * Unix file descriptors ("h") as SkypeBus\Type\Fd, against peers we did not write: dbusmock's
 * logind template (Inhibit hands out a descriptor; the inhibitor lasts until every copy is
 * closed) and a GDBus service in python3-gi (tests/support/fd_service.py) that reads the file a
 * descriptor names and hands out descriptors in replies and signals; and a served PHP method
 * that takes and returns one, called from another PHP process.
 */
final class FdTest extends IntegrationTestCase
{
    public const LOGIND = 'org.freedesktop.login1';
    public const FDS = 'net.skypebus.Fds';
    public const FDS_PATH = '/net/skypebus/Fds';

    protected static function startPeers(PrivateBus $bus): void
    {
        self::startFdPeers($bus);
    }

    /** The logind template and the GDBus service, as FdTcpTest starts them too. */
    public static function startFdPeers(PrivateBus $bus): void
    {
        $bus->spawn([PrivateBus::PYTHON, '-m', 'dbusmock', '--session', '--template', 'logind']);
        $bus->waitForName(self::LOGIND);
        $bus->spawn([PrivateBus::PYTHON, dirname(__DIR__, 3) . '/tests/support/fd_service.py', self::FDS]);
        $bus->waitForName(self::FDS);
    }

    /** The open descriptors of this process. */
    private static function openDescriptors(): int
    {
        return count((array) scandir('/proc/self/fd'));
    }

    /**
     * A call to logind's Manager.
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return list<mixed>
     */
    private function manager(string $method, array $args = [], ?string $signature = null, array $options = []): array
    {
        return $this->bus->call(self::LOGIND, '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', $method, $args, $signature, $options);
    }

    /**
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return list<mixed>
     */
    private function fds(string $method, array $args = [], ?string $signature = null, array $options = []): array
    {
        return $this->bus->call(self::FDS, self::FDS_PATH, self::FDS, $method, $args, $signature, $options);
    }

    /** @return list<mixed> */
    private function inhibitors(): array
    {
        return $this->manager('ListInhibitors')[0];
    }

    private function assertNoInhibitorWithin(float $seconds): void
    {
        $deadline = microtime(true) + $seconds;
        while ($this->inhibitors() !== []) {
            self::assertLessThan($deadline, microtime(true), 'the inhibitor is still listed after its Fd was closed');
            usleep(20000);
        }
    }

    private static function assertOwnedDescriptor(Fd $fd): void
    {
        self::assertFalse($fd->isClosed());
        $info = (string) file_get_contents('/proc/self/fdinfo/' . $fd->getNumber());
        self::assertSame(1, preg_match('/^flags:\s*([0-7]+)$/m', $info, $flags), $info);
        self::assertNotSame(0, octdec($flags[1]) & 02000000, 'close-on-exec (O_CLOEXEC)');
    }

    /**
     * Inhibit answers at once with an Fd, on every path a reply takes (the serialize() path, the
     * JSON path of typed variants, no signature, asynchronous calls, callMany, a proxy, a
     * prepared call); ListInhibitors shows the inhibitor until the Fd is closed.
     */
    public function testInhibitReturnsAnFdAndClosingItReleasesTheInhibitor(): void
    {
        $args = ['sleep', 'skypebus-php', 'testing fds', 'delay'];
        $manager = ['destination' => self::LOGIND, 'path' => '/org/freedesktop/login1', 'interface' => 'org.freedesktop.login1.Manager'];
        $ways = [
            'call' => function () use ($args): Fd {
                return $this->manager('Inhibit', $args, 'ssss')[0];
            },
            'typed variants' => function () use ($args): Fd {
                return $this->manager('Inhibit', $args, 'ssss', ['variants' => 'typed'])[0];
            },
            'introspected' => function () use ($args): Fd {
                return $this->manager('Inhibit', $args)[0];
            },
            'callAsync' => function () use ($args, $manager): Fd {
                return $this->bus->callAsync($manager['destination'], $manager['path'], $manager['interface'], 'Inhibit', $args, 'ssss')->getResult()[0];
            },
            'callMany' => function () use ($args, $manager): Fd {
                $replies = $this->bus->callMany(['inhibit' => $manager + ['method' => 'Inhibit', 'args' => $args, 'signature' => 'ssss']]);
                self::assertIsArray($replies['inhibit']);
                return $replies['inhibit'][0];
            },
            'proxy' => function () use ($args, $manager): Fd {
                return $this->bus->proxy($manager['destination'], $manager['path'], $manager['interface'])->Inhibit(...$args);
            },
            'prepared' => function () use ($args, $manager): Fd {
                $inhibit = $this->bus->prepare($manager['destination'], $manager['path'], $manager['interface'], 'Inhibit', 'ssss');
                return $inhibit(...$args)[0];
            },
        ];
        foreach ($ways as $way => $inhibit) {
            $started = microtime(true);
            $fd = $inhibit();
            self::assertLessThan(10.0, microtime(true) - $started, "$way: Inhibit answered at once, no timeout");
            self::assertInstanceOf(Fd::class, $fd, $way);
            self::assertOwnedDescriptor($fd);
            self::assertSame([['sleep', 'skypebus-php', 'testing fds', 'delay', 1000, 123456]], $this->inhibitors(), $way);
            $fd->close();
            self::assertTrue($fd->isClosed());
            $this->assertNoInhibitorWithin(5.0);
        }
    }

    /** An Fd nobody closes is closed when it is destroyed: the inhibitor goes with it. */
    public function testADroppedFdReleasesTheInhibitor(): void
    {
        $fd = $this->manager('Inhibit', ['sleep', 'skypebus-php', 'dropped', 'delay'], 'ssss')[0];
        self::assertCount(1, $this->inhibitors());
        unset($fd);
        $this->assertNoInhibitorWithin(5.0);
    }

    /**
     * A file opened from PHP by path is read back by the GDBus service, sent as an Fd (which
     * stays open and ours), as an Fd in a variant-typed call without signature, and as a plain
     * descriptor number; in callMany, callAsync and a proxy too.
     */
    public function testADescriptorSentFromPhpIsReadByAGdbusService(): void
    {
        $file = static::$private->directory() . '/sent.txt';
        file_put_contents($file, "hello from PHP\n");
        $fd = Fd::fromPath($file);
        self::assertSame(["hello from PHP\n"], $this->fds('ReadFd', [$fd], 'h'));
        self::assertFalse($fd->isClosed(), 'the Fd stays the caller\'s');
        self::assertSame(["hello from PHP\n"], $this->fds('ReadFd', [$fd]), 'typed by introspection');
        self::assertSame(["hello from PHP\n"], $this->fds('ReadFd', [$fd->getNumber()], 'h'), 'a plain number');
        self::assertSame(["hello from PHP\n"], $this->fds('ReadFd', [new Variant('h', $fd)], 'h'));
        $replies = $this->bus->callMany([[self::FDS, self::FDS_PATH, self::FDS, 'ReadFd', [$fd], 'h']]);
        self::assertSame([["hello from PHP\n"]], $replies);
        self::assertSame(["hello from PHP\n"], $this->bus->callAsync(self::FDS, self::FDS_PATH, self::FDS, 'ReadFd', [$fd], 'h')->getResult());
        self::assertSame("hello from PHP\n", $this->bus->proxy(self::FDS, self::FDS_PATH, self::FDS)->ReadFd($fd));
        $stream = fopen($file, 'r');
        self::assertSame(["hello from PHP\n"], $this->fds('ReadFd', [Fd::fromStream($stream)], 'h'), 'Fd::fromStream');
        fclose($stream);
        $fd->close();
        try {
            $this->fds('ReadFd', [$fd], 'h');
            self::fail('a closed Fd was sent');
        } catch (\SkypeBus\Exception\InvalidArgumentException $e) {
            self::assertStringContainsString('closed', $e->getMessage());
        }
    }

    /** Descriptors the service hands out, in replies and in signals, are Fd objects with its file. */
    public function testReceivedDescriptorsAreFdObjects(): void
    {
        [$fd] = $this->fds('OpenFd', ['made by GDBus'], 's');
        self::assertInstanceOf(Fd::class, $fd);
        $stream = $fd->stream();
        self::assertSame('made by GDBus', stream_get_contents($stream));
        fclose($stream);
        [$typed] = $this->fds('OpenFd', ['typed'], 's', ['variants' => 'typed']);
        self::assertInstanceOf(Fd::class, $typed);

        $subscription = $this->bus->subscribe(['interface' => self::FDS, 'member' => 'Fd']);
        $this->fds('EmitFd', ['in a signal'], 's');
        $signal = $this->bus->nextSignal(10.0);
        self::assertNotNull($signal);
        $received = $signal->getArg(0);
        self::assertInstanceOf(Fd::class, $received);
        $stream = $received->stream('r');
        self::assertSame('in a signal', stream_get_contents($stream));
        fclose($stream);
        $subscription->unsubscribe();
    }

    /** An Fd emitted in a signal (typed by the signature, and with none) reaches a subscriber as an Fd. */
    public function testAnEmittedFdReachesASubscriber(): void
    {
        $file = static::$private->directory() . '/emitted.txt';
        file_put_contents($file, 'emitted');
        $listener = static::$private->connectPrivate();
        $listener->subscribe(['interface' => 'net.skypebus.Test.Fds', 'member' => 'File']);
        $fd = Fd::fromPath($file);
        foreach (['h', null] as $signature) {
            $this->bus->emit('/net/skypebus/Test/Fds', 'net.skypebus.Test.Fds', 'File', [$fd], $signature);
            $signal = $listener->nextSignal(10.0);
            self::assertNotNull($signal);
            self::assertSame('h', $signal->getSignature());
            $received = $signal->getArg(0);
            self::assertInstanceOf(Fd::class, $received);
            self::assertNotSame($fd->getNumber(), $received->getNumber());
            self::assertSame('emitted', stream_get_contents($received->stream(), -1, 0));
        }
        self::assertFalse($fd->isClosed(), 'the emitted Fd stays the emitter\'s');
        $listener->close();
    }

    /** 1,000 calls that each receive a descriptor leave the count of open descriptors as it was. */
    public function testAThousandReceivedDescriptorsDoNotLeak(): void
    {
        $open = $this->bus->prepare(self::FDS, self::FDS_PATH, self::FDS, 'OpenFd', 's');
        [$first] = $open('warm up');
        unset($first);
        $before = self::openDescriptors();
        for ($i = 0; $i < 1000; $i++) {
            [$fd] = $i % 2 === 0 ? $open("call $i") : $this->fds('OpenFd', ["call $i"], 's', ['variants' => 'typed']);
            if ($i % 100 === 0) {
                self::assertInstanceOf(Fd::class, $fd);
            }
        }
        unset($fd);
        self::assertSame($before, self::openDescriptors());
    }

    /**
     * Asynchronous calls whose results carry descriptors and that nobody reads: nothing is left
     * open once they are settled and gone.
     */
    public function testAsynchronousResultsNobodyReadsLeaveNoDescriptor(): void
    {
        $start = function (string $text) {
            return $this->bus->callAsync(self::FDS, self::FDS_PATH, self::FDS, 'OpenFd', [$text], 's');
        };
        $start('warm up')->getResult();
        $before = self::openDescriptors();
        $pending = [];
        for ($i = 0; $i < 50; $i++) {
            $pending[] = $start("async $i");
        }
        $pending[0]->getResult();
        $deadline = microtime(true) + 10.0;
        while (microtime(true) < $deadline && self::openDescriptors() < $before + 50) {
            usleep(10000); // the results arrive in the library, unread
        }
        self::assertGreaterThanOrEqual($before + 50, self::openDescriptors(), 'the results hold their descriptors');
        // The Bus keeps unsettled calls until their call_finished events settle them (process());
        // settled and unreferenced, their Fd objects go, and close.
        unset($pending);
        $this->bus->process();
        self::assertSame($before, self::openDescriptors());
    }

    /** A served PHP method takes an Fd and returns one, called from another PHP process. */
    public function testAServedMethodTakesAndReturnsDescriptors(): void
    {
        $handler = new class {
            /** @return Fd a new file holding the text of $fd in capitals */
            public function shout(Fd $fd): Fd
            {
                $stream = $fd->stream('r');
                $text = (string) stream_get_contents($stream, -1, 0);
                fclose($stream);
                $out = tmpfile();
                fwrite($out, strtoupper($text));
                fseek($out, 0);
                $reply = Fd::fromStream($out);
                fclose($out);
                return $reply;
            }
        };
        $xml = '<node><interface name="net.skypebus.Test.Fds"><method name="shout">'
            . '<arg type="h" direction="in"/><arg type="h" direction="out"/></method></interface></node>';
        $server = Bus::connectPrivate(static::$private->clientAddress());
        $server->export('/net/skypebus/Test/Fds', $handler, $xml);
        $script = static::$private->directory() . '/fd_client.php';
        file_put_contents($script, '<?php
require ' . var_export(dirname(__DIR__) . '/bootstrap.php', true) . ';
$bus = SkypeBus\Bus::connect($argv[1]);
$file = tempnam(sys_get_temp_dir(), "skypebus-fd");
file_put_contents($file, "quiet words");
[$fd] = $bus->call($argv[2], "/net/skypebus/Test/Fds", "net.skypebus.Test.Fds", "shout", [SkypeBus\Type\Fd::fromPath($file)]);
unlink($file);
echo get_class($fd), ": ", stream_get_contents($fd->stream()), "\n";
');
        $output = self::runOk([PHP_BINARY, $script, static::$private->clientAddress(), $server->getUniqueName()], $server);
        $server->close();
        self::assertSame("SkypeBus\\Type\\Fd: QUIET WORDS\n", $output);
    }
}
