<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\ResultCode;
use SkypeBus\Internal\Native;

/**
 * An application attached to Skype's desktop API (com.Skype.API), over libskypebus.
 *
 *     $skype = Skype::attach(Bus::session(), 'my-app');
 *     $id = $skype->sendChatMessage('bob', "Hello Bob\nfrom PHP");
 *     echo $skype->waitForMessageStatus($id), "\n";          // CHATMESSAGE 290 STATUS SENT
 *     echo $skype->command('GET USERSTATUS'), "\n";          // USERSTATUS ONLINE
 *     foreach ($skype->notifications(5.0) as $line) { ... }  // what Skype tells us
 *
 * The helper opens a private connection of its own to the Bus's address (Skype authorises and
 * notifies per connection) and keeps it until close(). When Skype restarts, the next command
 * attaches again by itself. Skype's "ERROR <code> <text>" replies are SkypeExceptions with the
 * code as getCode(); a user who refuses the application gives SkypeException code 68, Skype
 * not signed in SkypeNotSignedInException, Skype not running ServiceUnknownException, and an
 * authorisation not answered in time TimeoutException. See docs/skype.md.
 *
 * Not to be cloned or serialized; after fork(), attach again in the child.
 */
final class Skype
{
    /** The longest single wait inside the library, in seconds, so PHP signal handlers run. */
    private const SLICE = 0.25;

    /** Notifications kept aside by waitForMessageStatus() for later reads, at most. */
    private const HELD_MAX = 4096;

    /** @var Native */
    private $native;

    /** @var \FFI\CData|null skypebus_skype*, null once closed */
    private $handle;

    /** @var list<string> notifications waitForMessageStatus() read but was not waiting for */
    private $held = [];

    /**
     * What print_r() and var_dump() show, without FFI internals.
     *
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return ['closed' => $this->handle === null, 'heldNotifications' => count($this->held)];
    }

    private function __construct(Native $native, \FFI\CData $handle)
    {
        $this->native = $native;
        $this->handle = $handle;
    }

    /**
     * Attaches to Skype on $bus's bus as the application $appName ("NAME <appName>"), asking
     * for protocol $protocol ("PROTOCOL <n>"; Skype answers at most what it supports, see
     * getProtocol()). Skype may ask the user first: $timeout (seconds, default 25) bounds how
     * long to wait, and is the default timeout of later commands.
     *
     * @throws Exception\SkypeException code 68 when the user refused the application
     * @throws Exception\SkypeNotSignedInException when Skype is running but not signed in
     * @throws Exception\ServiceUnknownException when Skype is not running
     * @throws TimeoutException when the user did not answer in time
     * @throws InvalidArgumentException for an empty $appName, one with line breaks or NUL, or a
     *                                  protocol outside 1 to 4294967295
     */
    public static function attach(Bus $bus, string $appName = 'php', int $protocol = 8, ?float $timeout = null): self
    {
        self::assertNoNul($appName, 'The application name');
        if ($protocol < 1 || $protocol > 0xFFFFFFFF) {
            throw self::invalid(sprintf('The protocol must be from 1 to 4294967295, %d given', $protocol));
        }
        $native = Library::native();
        return new self($native, $native->skypeAttach($bus->getAddress(), $appName, $protocol, self::milliseconds($timeout)));
    }

    /** The protocol version Skype agreed to (at attach, or the last "PROTOCOL n" command). */
    public function getProtocol(): int
    {
        return $this->native->skypeProtocol($this->handle());
    }

    /**
     * Sends any Skype command, such as "GET USERSTATUS" or "SEARCH FRIENDS", and returns
     * Skype's reply ("USERSTATUS ONLINE"). Do not add a "#n " id: the helper adds its own and
     * strips it from the reply.
     *
     * @param float|null $timeout seconds; null: the timeout given to attach()
     * @throws Exception\SkypeException when Skype answers "ERROR <code> <text>"
     * @throws Exception\SkypeBusException
     */
    public function command(string $command, ?float $timeout = null): string
    {
        self::assertNoNul($command, 'A Skype command');
        return $this->native->skypeCommand($this->handle(), $command, self::milliseconds($timeout));
    }

    /**
     * Sends $text to the contact $handle ("CHAT CREATE <handle>", then "CHATMESSAGE <chat>
     * <text>") and returns the chat message id, such as "290". The text goes verbatim: line
     * breaks and any UTF-8 are kept. Skype reports the message SENDING; waitForMessageStatus()
     * waits for SENT.
     *
     * @throws Exception\SkypeException for example code 43 for an empty text
     * @throws InvalidArgumentException for a handle that is empty or has spaces or commas, or
     *                                  text that is not UTF-8 or contains NUL
     */
    public function sendChatMessage(string $handle, string $text): string
    {
        self::assertNoNul($handle, 'The handle');
        self::assertNoNul($text, 'The message text');
        $sent = json_decode($this->native->skypeSendChatMessage($this->handle(), $handle, $text), true);
        return (string) $sent['message'];
    }

    /**
     * The next notification from Skype (such as "CHATMESSAGE 290 STATUS SENT" or
     * "USERSTATUS AWAY"), waiting up to $timeout seconds; null when none came in time.
     *
     * @throws Exception\SkypeBusException
     */
    public function nextNotification(float $timeout = 0.0): ?string
    {
        $deadline = microtime(true) + self::seconds($timeout);
        do {
            $line = $this->take(min(self::SLICE, max(0.0, $deadline - microtime(true))));
            if ($line !== null) {
                return $line;
            }
        } while (microtime(true) < $deadline);
        return null;
    }

    /**
     * Skype's notifications as they arrive, for $timeout seconds from the first iteration (0:
     * only those that already arrived), or with null until the caller stops iterating. Waits in
     * short slices, so PHP signal handlers (pcntl_async_signals) keep running.
     *
     * @return \Generator<int, string, mixed, void>
     */
    public function notifications(?float $timeout = null): \Generator
    {
        $deadline = $timeout === null ? null : microtime(true) + self::seconds($timeout);
        while (true) {
            $wait = $deadline === null ? self::SLICE : min(self::SLICE, max(0.0, $deadline - microtime(true)));
            $line = $this->take($wait);
            if ($line !== null) {
                yield $line;
            } elseif ($deadline !== null && microtime(true) >= $deadline) {
                return;
            }
        }
    }

    /**
     * Waits until chat message $messageId has status $status (SENDING, SENT, RECEIVED, READ)
     * and returns the line that said so ("CHATMESSAGE 290 STATUS SENT"). Asks Skype first
     * ("GET CHATMESSAGE <id> STATUS"), then watches the notifications; the other notifications
     * read meanwhile are kept for nextNotification() and notifications().
     *
     * @throws TimeoutException when the status did not come within $timeout seconds
     * @throws Exception\SkypeException for example code 31 for an unknown message id
     */
    public function waitForMessageStatus(string $messageId, string $status = 'SENT', float $timeout = 10.0): string
    {
        if (preg_match('/^[0-9]+$/', $messageId) !== 1) {
            throw self::invalid(sprintf('A chat message id is a number, "%s" given', $messageId));
        }
        if (preg_match('/^[A-Za-z_]+$/', $status) !== 1) {
            throw self::invalid(sprintf('A message status is a word such as SENT, "%s" given', $status));
        }
        $status = strtoupper($status);
        $deadline = microtime(true) + self::seconds($timeout);
        $now = $this->command("GET CHATMESSAGE $messageId STATUS");
        if ($now === "CHATMESSAGE $messageId STATUS $status") {
            return $now;
        }
        $pattern = '/^(?:CHAT)?MESSAGE ' . $messageId . ' STATUS ' . $status . '$/';
        $seen = [];
        try {
            while (($left = $deadline - microtime(true)) > 0) {
                $line = $this->take(min(self::SLICE, $left));
                if ($line === null) {
                    continue;
                }
                if (preg_match($pattern, $line) === 1) {
                    return $line;
                }
                $seen[] = $line;
            }
        } finally {
            $this->hold($seen);
        }
        throw new TimeoutException(
            'org.freedesktop.DBus.Error.NoReply',
            sprintf('Chat message %s did not reach status %s within %s s (%s)', $messageId, $status, (string) $timeout, $now),
            ResultCode::TIMEOUT
        );
    }

    /** Detaches from Skype and closes the helper's connection. Idempotent. */
    public function close(): void
    {
        if ($this->handle !== null) {
            $handle = $this->handle;
            $this->handle = null;
            $this->native->freeSkype($handle);
        }
    }

    public function isClosed(): bool
    {
        return $this->handle === null;
    }

    public function __destruct()
    {
        $this->close();
    }

    public function __sleep(): array
    {
        throw new \LogicException('A SkypeBus\Skype cannot be serialized');
    }

    public function __wakeup(): void
    {
        throw new \LogicException('A SkypeBus\Skype cannot be unserialized');
    }

    private function __clone()
    {
    }

    /** One notification: a held one, else one from the library within $seconds. */
    private function take(float $seconds): ?string
    {
        if ($this->held !== []) {
            return array_shift($this->held);
        }
        return $this->native->skypeNextNotification($this->handle(), (int) ceil($seconds * 1000));
    }

    /** @param list<string> $lines */
    private function hold(array $lines): void
    {
        $this->held = array_merge($this->held, $lines);
        if (count($this->held) > self::HELD_MAX) {
            $this->held = array_slice($this->held, -self::HELD_MAX);
        }
    }

    private function handle(): \FFI\CData
    {
        if ($this->handle === null) {
            throw Errors::closed();
        }
        return $this->handle;
    }

    /** Milliseconds for the C ABI: 0 (the default) for null. */
    private static function milliseconds(?float $seconds): int
    {
        return $seconds === null ? 0 : (int) CallOptions::fromArray(['timeout' => $seconds])->timeoutMs;
    }

    private static function seconds(float $seconds): float
    {
        if (!is_finite($seconds) || $seconds < 0) {
            throw self::invalid(sprintf('A timeout is a number of seconds, 0 or more; %s given', (string) $seconds));
        }
        return $seconds;
    }

    private static function assertNoNul(string $value, string $what): void
    {
        if (strpos($value, "\0") !== false) {
            throw self::invalid($what . ' contains a NUL byte, which D-Bus strings cannot carry');
        }
    }

    private static function invalid(string $message): InvalidArgumentException
    {
        return new InvalidArgumentException($message, 'net.skypebus.Error.InvalidRequest', ResultCode::INVALID_REQUEST);
    }
}
