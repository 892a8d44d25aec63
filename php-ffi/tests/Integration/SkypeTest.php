<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\ServiceUnknownException;
use SkypeBus\Exception\SkypeException;
use SkypeBus\Exception\SkypeNotSignedInException;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Skype;

/**
 * The 16 scenarios of docs/skype-protocol.md (section 7), and the documented failures, through the PHP API
 * (SkypeBus\Skype, SkypeBus\skype_send_chat_message) against the Skype emulator on a private
 * bus. Each test starts its own emulator. Ids are matched by pattern: message ids are numbers,
 * chat ids end in 16 hex digits.
 */
final class SkypeTest extends IntegrationTestCase
{
    /** Chat ids as regular expressions (for "/" delimiters). */
    private const DIALOG = '#alice\/\$bob;[0-9a-f]{16}';
    private const MULTICHAT = '#alice\/\$[0-9a-f]{16}';

    /** @var resource|null */
    private $emulator;

    /** @var list<Skype> */
    private $attached = [];

    protected function tearDown(): void
    {
        foreach ($this->attached as $skype) {
            $skype->close();
        }
        $this->stopEmulator();
        parent::tearDown();
    }

    /** @param list<string> $args */
    private function startEmulator(array $args = []): void
    {
        $this->emulator = static::$private->startSkypeEmulator($args);
    }

    /** Stops the emulator (as if Skype quit) and waits until its name is gone from the bus. */
    private function stopEmulator(): void
    {
        if ($this->emulator === null) {
            return;
        }
        static::$private->kill($this->emulator);
        $this->emulator = null;
        $deadline = microtime(true) + 10;
        while ($this->driver('NameHasOwner', ['com.Skype.API'], 's')[0] && microtime(true) < $deadline) {
            usleep(10000);
        }
    }

    private function attach(int $protocol = 8, string $appName = 'php', ?float $timeout = 10.0): Skype
    {
        $skype = Skype::attach($this->bus, $appName, $protocol, $timeout);
        $this->attached[] = $skype;
        return $skype;
    }

    /**
     * The emulator's transcript without client names: "C <command>", "R <reply>", "N <text>".
     *
     * @return list<string>
     */
    private function transcript(): array
    {
        [$lines] = $this->bus->call('com.Skype.API', '/net/skypebus/SkypeEmulator', 'net.skypebus.SkypeEmulator', 'Transcript');
        return array_map(static function (string $line): string {
            return (string) preg_replace('/^([CRN]) :\S+ /', '$1 ', $line);
        }, $lines);
    }

    /**
     * Notifications until one matches $pattern (within 10 s); all of them, the match last.
     *
     * @return list<string>
     */
    private static function notificationsUntil(Skype $skype, string $pattern): array
    {
        $seen = [];
        foreach ($skype->notifications(10.0) as $line) {
            $seen[] = $line;
            if (preg_match($pattern, $line) === 1) {
                return $seen;
            }
        }
        self::fail("no notification matching $pattern; got " . json_encode($seen));
    }

    private static function assertSkypeError(int $code, string $text, callable $action): void
    {
        try {
            $action();
        } catch (SkypeException $e) {
            self::assertSame(SkypeException::class, get_class($e));
            self::assertSame($code, $e->getCode());
            self::assertSame($text, $e->getMessage());
            self::assertSame('net.skypebus.Error.Skype', $e->getErrorName());
            return;
        }
        self::fail("no SkypeException $code");
    }

    // -- docs/skype-protocol.md section 7 ---------------------------------------------------

    public function testScenario01Handshake(): void
    {
        $this->startEmulator();
        $skype = $this->attach(2);
        self::assertSame(2, $skype->getProtocol());
        self::assertSame(
            ['CONNSTATUS ONLINE', 'CURRENTUSERHANDLE alice', 'USERSTATUS ONLINE'],
            self::notificationsUntil($skype, '/^USERSTATUS /')
        );
        $lines = $this->transcript();
        self::assertMatchesRegularExpression('/^C #\d+ NAME php$/', $lines[0]);
        self::assertMatchesRegularExpression('/^R #\d+ OK$/', $lines[1]);
        self::assertMatchesRegularExpression('/^C #\d+ PROTOCOL 2$/', $lines[2]);
        self::assertMatchesRegularExpression('/^R #\d+ PROTOCOL 2$/', $lines[3]);
        self::assertSame(['N CONNSTATUS ONLINE', 'N CURRENTUSERHANDLE alice', 'N USERSTATUS ONLINE'], array_slice($lines, 4, 3));
    }

    public function testScenario02ProtocolCap(): void
    {
        $this->startEmulator();
        self::assertSame(8, $this->attach(9999)->getProtocol());
    }

    public function testScenario03SendMessage(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        $created = $skype->command('CHAT CREATE bob');
        self::assertMatchesRegularExpression('/^CHAT ' . self::DIALOG . ' STATUS DIALOG$/', $created);
        $chat = explode(' ', $created)[1];
        $sending = $skype->command("CHATMESSAGE $chat hello");
        self::assertMatchesRegularExpression('/^CHATMESSAGE \d+ STATUS SENDING$/', $sending);
        $id = explode(' ', $sending)[1];
        $seen = self::notificationsUntil($skype, "/^CHATMESSAGE $id STATUS SENT$/");
        self::assertSame("CHATMESSAGE $id STATUS SENT", end($seen));

        // The same in one call.
        $id2 = $skype->sendChatMessage('bob', 'hello again');
        self::assertMatchesRegularExpression('/^\d+$/', $id2);
        self::assertGreaterThan((int) $id, (int) $id2);
        self::assertSame("CHATMESSAGE $id2 STATUS SENT", $skype->waitForMessageStatus($id2));
    }

    public function testScenario04IdPrefixesAreTheHelpersAndStripped(): void
    {
        $this->startEmulator();
        $skype = $this->attach(7);
        $id = $skype->sendChatMessage('bob', 'hi');
        self::notificationsUntil($skype, "/^CHATMESSAGE $id STATUS SENT$/");
        $lines = $this->transcript();
        $commands = array_values(preg_grep('/^C /', $lines));
        $replies = array_values(preg_grep('/^R /', $lines));
        self::assertMatchesRegularExpression('/^C #(\d+) NAME php$/', $commands[0]);
        self::assertMatchesRegularExpression('/^C #\d+ PROTOCOL 7$/', $commands[1]);
        self::assertMatchesRegularExpression('/^C #\d+ CHAT CREATE bob$/', $commands[2]);
        self::assertMatchesRegularExpression('/^C #\d+ CHATMESSAGE ' . self::DIALOG . ' hi$/', $commands[3]);
        // Every reply carries its command's id; notifications carry none.
        foreach ($commands as $i => $command) {
            preg_match('/^C (#\d+) /', $command, $m);
            self::assertStringStartsWith('R ' . $m[1] . ' ', $replies[$i]);
        }
        self::assertContains("N CHATMESSAGE $id STATUS SENT", $lines);
        // The caller never sees or sends an id.
        self::assertSame('PONG', $skype->command('PING'));
        $this->expectException(InvalidArgumentException::class);
        $skype->command('#1 PING');
    }

    public function testScenario05UserRefuses(): void
    {
        $this->startEmulator(['--auth', 'refuse']);
        self::assertSkypeError(68, 'access denied by the user', function (): void {
            $this->attach();
        });
        $lines = $this->transcript();
        self::assertMatchesRegularExpression('/^R #\d+ ERROR 68$/', $lines[1]);
    }

    public function testScenario05RefusedAfterSkypeRestarted(): void
    {
        // Attached, then Skype restarts and the user refuses: GET USERSTATUS gets ERROR 68.
        $this->startEmulator();
        $skype = $this->attach();
        $this->stopEmulator();
        $this->startEmulator(['--auth', 'refuse']);
        self::assertSkypeError(68, 'access denied by the user', static function () use ($skype): void {
            $skype->command('GET USERSTATUS');
        });
    }

    public function testScenario06NotSignedIn(): void
    {
        $this->startEmulator(['--auth', 'offline']);
        try {
            $this->attach();
            self::fail('attached while offline');
        } catch (SkypeNotSignedInException $e) {
            self::assertSame(0, $e->getCode());
            self::assertSame('net.skypebus.Error.SkypeNotSignedIn', $e->getErrorName());
            self::assertStringContainsString('not signed in', $e->getMessage());
        }
        $this->bus->call('com.Skype.API', '/net/skypebus/SkypeEmulator', 'net.skypebus.SkypeEmulator', 'SignIn');
        self::assertSame('PONG', $this->attach()->command('PING'));
    }

    public function testScenario07AuthorisationPending(): void
    {
        $this->startEmulator(['--auth', 'pending', '--auth-delay-ms', '3000']);
        $started = microtime(true);
        try {
            $this->attach(8, 'php', 0.3);
            self::fail('attached before the user answered');
        } catch (TimeoutException $e) {
            self::assertSame('org.freedesktop.DBus.Error.NoReply', $e->getErrorName());
        }
        self::assertLessThan(1.5, microtime(true) - $started);
        $this->stopEmulator();
        // An answer within the timeout: attached.
        $this->startEmulator(['--auth', 'pending', '--auth-delay-ms', '300']);
        self::assertSame('PONG', $this->attach(8, 'php', 10.0)->command('PING'));
    }

    public function testScenario08SkypeAbsent(): void
    {
        try {
            $this->attach();
            self::fail('attached to nobody');
        } catch (ServiceUnknownException $e) {
            self::assertSame('org.freedesktop.DBus.Error.ServiceUnknown', $e->getErrorName());
            self::assertStringStartsWith('Skype is not running', $e->getMessage());
        }
    }

    public function testScenario09UnknownChat(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        self::assertSkypeError(510, 'Invalid/unknown chat name given', static function () use ($skype): void {
            $skype->command('CHATMESSAGE #alice/$nobody;0000000000000000 hi');
        });
    }

    public function testScenario10BadHandle(): void
    {
        $this->startEmulator();
        $skype = $this->attach(5);
        self::assertSame(5, $skype->getProtocol());
        self::assertSkypeError(507, 'CHAT: CREATE: invalid/missing user handle(s) as argument', static function () use ($skype): void {
            $skype->command('CHAT CREATE');
        });
        // At protocol 7 it creates an empty multichat instead.
        self::assertSame('PROTOCOL 7', $skype->command('PROTOCOL 7'));
        self::assertSame(7, $skype->getProtocol());
        self::assertMatchesRegularExpression('/^CHAT ' . self::MULTICHAT . ' STATUS MULTI_SUBSCRIBED$/', $skype->command('CHAT CREATE'));
    }

    public function testScenario11EmptyText(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        self::assertSkypeError(43, 'cannot send empty message', static function () use ($skype): void {
            $skype->command('MESSAGE bob');
        });
        $chat = explode(' ', $skype->command('CHAT CREATE bob'))[1];
        self::assertSkypeError(43, 'cannot send empty message', static function () use ($skype, $chat): void {
            $skype->command("CHATMESSAGE $chat");
        });
        self::assertSkypeError(43, 'cannot send empty message', static function () use ($skype): void {
            $skype->sendChatMessage('bob', '');
        });
    }

    public function testScenario12LegacyMessage(): void
    {
        $this->startEmulator();
        $skype = $this->attach(2);
        $reply = $skype->command('MESSAGE bob hi');
        self::assertMatchesRegularExpression('/^MESSAGE \d+ STATUS SENDING$/', $reply);
        $id = explode(' ', $reply)[1];
        self::notificationsUntil($skype, "/^MESSAGE $id STATUS SENT$/");
        self::assertSame('PROTOCOL 5', $skype->command('PROTOCOL 5'));
        self::assertMatchesRegularExpression('/^CHATMESSAGE \d+ STATUS SENDING$/', $skype->command('MESSAGE bob hi'));
    }

    public function testScenario13UnknownCommand(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        self::assertSkypeError(2, 'Unknown command', static function () use ($skype): void {
            $skype->command('FOO');
        });
        // On the wire the error carries the helper's id prefix.
        $replies = array_values(preg_grep('/^R /', $this->transcript()));
        self::assertMatchesRegularExpression('/^R #\d+ ERROR 2 Unknown command$/', (string) end($replies));
    }

    public function testScenario14Queries(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        self::assertSame('PONG', $skype->command('PING'));
        self::assertSame('CURRENTUSERHANDLE alice', $skype->command('GET CURRENTUSERHANDLE'));
        self::assertSame('USERS echo123, bob', $skype->command('SEARCH FRIENDS'));
        self::assertSame('USER echo123 FULLNAME Echo / Sound Test Service', $skype->command('GET USER echo123 FULLNAME'));
        self::assertSkypeError(10, 'Invalid PROP', static function () use ($skype): void {
            $skype->command('GET USER bob COLOUR');
        });
    }

    public function testScenario15IncomingUtf8MultiLine(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        [$id] = $this->bus->call('com.Skype.API', '/net/skypebus/SkypeEmulator', 'net.skypebus.SkypeEmulator', 'InjectMessage', ['bob', "héllo\nwörld"]);
        self::assertMatchesRegularExpression('/^\d+$/', $id);
        self::assertSame("CHATMESSAGE $id STATUS RECEIVED", $skype->waitForMessageStatus($id, 'RECEIVED'));
        self::assertSame("CHATMESSAGE $id BODY héllo\nwörld", $skype->command("GET CHATMESSAGE $id BODY"));
        self::assertSame("CHATMESSAGE $id STATUS READ", $skype->command("SET CHATMESSAGE $id SEEN"));
    }

    public function testScenario16Multichat(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        $created = $skype->command('CHAT CREATE bob, carol');
        self::assertMatchesRegularExpression('/^CHAT ' . self::MULTICHAT . ' STATUS MULTI_SUBSCRIBED$/', $created);
        $chat = explode(' ', $created)[1];
        self::assertSame("CHAT $chat MEMBERS alice bob carol", $skype->command("GET CHAT $chat MEMBERS"));
    }

    // -- The helper's own behaviour -----------------------------------------------------------

    public function testSkypeRestartedBetweenTwoMessagesIsTransparent(): void
    {
        $this->startEmulator();
        $skype = $this->attach(7);
        $first = $skype->sendChatMessage('bob', 'before');
        $this->stopEmulator();
        $this->startEmulator();
        $second = $skype->sendChatMessage('bob', 'after');
        self::assertMatchesRegularExpression('/^\d+$/', $second);
        self::assertSame("CHATMESSAGE $second STATUS SENT", $skype->waitForMessageStatus($second));
        self::assertSame(7, $skype->getProtocol());
        // The new Skype saw a fresh attach first.
        $commands = array_values(preg_grep('/^C /', $this->transcript()));
        self::assertCount(5, $commands, implode("\n", $commands));
        self::assertMatchesRegularExpression('/^C #\d+ NAME php$/', $commands[0]);
        self::assertMatchesRegularExpression('/^C #\d+ PROTOCOL 7$/', $commands[1]);
        self::assertMatchesRegularExpression('/^C #\d+ CHAT CREATE bob$/', $commands[2]);
        self::assertMatchesRegularExpression('/^C #\d+ CHATMESSAGE ' . self::DIALOG . ' after$/', $commands[3]);
        self::assertMatchesRegularExpression("/^C #\\d+ GET CHATMESSAGE $second STATUS$/", $commands[4]);
        self::assertNotSame('', $first);
    }

    public function testSkypeGoneIsServiceUnknown(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        $this->stopEmulator();
        $this->expectException(ServiceUnknownException::class);
        $this->expectExceptionMessage('Skype is not running');
        $skype->sendChatMessage('bob', 'hi');
    }

    public function testMultiLineUtf8MessageKeptVerbatim(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        // Leading and trailing spaces, tabs, line feeds, any UTF-8; "#1" at the start is text.
        foreach ([" Grüße ✓\nzweite Zeile\ttab ", '#1 hashtag'] as $text) {
            $id = $skype->sendChatMessage('bob', $text);
            self::assertSame("CHATMESSAGE $id BODY $text", $skype->command("GET CHATMESSAGE $id BODY"));
        }
    }

    public function testBadArguments(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        $cases = [
            'handle with a space' => static function () use ($skype): void {
                $skype->sendChatMessage('bob carol', 'hi');
            },
            'empty handle' => static function () use ($skype): void {
                $skype->sendChatMessage('', 'hi');
            },
            'NUL in the text' => static function () use ($skype): void {
                $skype->sendChatMessage('bob', "a\0b");
            },
            'invalid UTF-8' => static function () use ($skype): void {
                $skype->sendChatMessage('bob', "\xff");
            },
            'negative timeout' => static function () use ($skype): void {
                $skype->nextNotification(-1.0);
            },
            'protocol 0' => function (): void {
                $this->attach(0);
            },
            'empty application name' => function (): void {
                $this->attach(8, '');
            },
        ];
        foreach ($cases as $what => $action) {
            try {
                $action();
                self::fail("no exception for $what");
            } catch (InvalidArgumentException $e) {
                self::assertNotSame('', $e->getMessage(), $what);
            }
        }
    }

    public function testNotificationsGeneratorAndTimeouts(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        // The generator stops when the caller does.
        $taken = [];
        foreach ($skype->notifications() as $line) {
            $taken[] = $line;
            if (count($taken) === 2) {
                break;
            }
        }
        self::assertSame(['CONNSTATUS ONLINE', 'CURRENTUSERHANDLE alice'], $taken);
        self::assertSame('USERSTATUS ONLINE', $skype->nextNotification(5.0));
        // Nothing more: a bounded generator ends, nextNotification() gives null, in time.
        $started = microtime(true);
        self::assertSame([], iterator_to_array($skype->notifications(0.3), false));
        self::assertNull($skype->nextNotification(0.2));
        $elapsed = microtime(true) - $started;
        self::assertGreaterThanOrEqual(0.5, $elapsed);
        self::assertLessThan(5.0, $elapsed);
    }

    public function testWaitForMessageStatusKeepsOtherNotificationsAndTimesOut(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        $id = $skype->sendChatMessage('bob', 'hi');
        try {
            $skype->waitForMessageStatus($id, 'READ', 0.5);
            self::fail('an outgoing message became READ');
        } catch (TimeoutException $e) {
            self::assertStringContainsString("Chat message $id did not reach status READ", $e->getMessage());
        }
        // What it read meanwhile is still there, in order.
        $rest = iterator_to_array($skype->notifications(0.3), false);
        self::assertSame('CONNSTATUS ONLINE', $rest[0]);
        self::assertContains("CHATMESSAGE $id STATUS SENT", $rest);
    }

    public function testClose(): void
    {
        $this->startEmulator();
        $skype = $this->attach();
        $skype->close();
        $skype->close();
        self::assertTrue($skype->isClosed());
        $this->expectException(DisconnectedException::class);
        $skype->command('PING');
    }

    // -- The one-call function -------------------------------------------------------------

    /**
     * Runs PHP code in a child whose session bus is the private bus.
     *
     * @return array{0: int, 1: string}
     */
    private static function onSessionBus(string $code): array
    {
        $environment = static::$private->environment();
        $process = proc_open(
            [PHP_BINARY, '-d', 'ffi.enable=1', '-r', 'require ' . var_export(dirname(__DIR__) . '/bootstrap.php', true) . ';' . $code],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]],
            $pipes,
            null,
            $environment
        );
        self::assertIsResource($process);
        $output = (string) stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        return [proc_close($process), $output];
    }

    public function testTheOneCallFunction(): void
    {
        $this->startEmulator();
        [$status, $output] = self::onSessionBus('echo SkypeBus\skype_send_chat_message("bob", "Hello from PHP\nline two");');
        self::assertSame(0, $status, $output);
        self::assertMatchesRegularExpression('/^\d+$/', $output);
        $lines = $this->transcript();
        self::assertContains("N CHATMESSAGE $output STATUS SENT", $lines);
        self::assertMatchesRegularExpression('/^C #\d+ NAME php$/', $lines[0]);
        self::assertNotEmpty(preg_grep('/^C #\d+ CHATMESSAGE ' . self::DIALOG . ' Hello from PHP\\\\nline two$/', $lines));
    }

    public function testTheOneCallFunctionRefused(): void
    {
        $this->startEmulator(['--auth', 'refuse']);
        [$status, $output] = self::onSessionBus(
            'try { SkypeBus\skype_send_chat_message("bob", "hi", "my-app"); } '
            . 'catch (SkypeBus\Exception\SkypeException $e) { echo get_class($e), " ", $e->getCode(), " ", $e->getMessage(); exit(3); }'
        );
        self::assertSame(3, $status, $output);
        self::assertSame('SkypeBus\Exception\SkypeException 68 access denied by the user', $output);
        self::assertMatchesRegularExpression('/^C #\d+ NAME my-app$/', $this->transcript()[0]);
    }
}
