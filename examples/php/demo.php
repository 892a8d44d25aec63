<?php

/*
 * The main demo (run by `make demo`, which starts a private session bus and the Skype emulator
 * for it): sends a Skype chat message from PHP in one call, shows what Skype received and the
 * SENT notification, uses the SkypeBus\Skype object, then makes generic calls to the bus itself.
 *
 * On its own: DBUS_SESSION_BUS_ADDRESS=<a bus with Skype or the emulator> php examples/php/demo.php
 * after `composer dump-autoload` in php-ffi/ (SKYPE_TRANSCRIPT=<the emulator's --transcript file>
 * adds what the emulator saw).
 */

declare(strict_types=1);

// Composer's autoloader of the package (scripts/demo.sh makes one in target/demo-vendor).
require getenv('SKYPEBUS_AUTOLOAD') ?: __DIR__ . '/../../php-ffi/vendor/autoload.php';

use SkypeBus\Bus;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Skype;

use function SkypeBus\skype_send_chat_message;

function section(string $title): void
{
    echo "\n== $title\n";
}

/** The emulator's transcript lines (C command, R reply, N notification), once $until shows. */
function transcript(string $file, string $until): array
{
    $deadline = microtime(true) + 5;
    do {
        $lines = is_file($file) ? file($file, FILE_IGNORE_NEW_LINES) : [];
        foreach ($lines as $line) {
            if (strpos($line, $until) !== false) {
                return $lines;
            }
        }
        usleep(20000);
    } while (microtime(true) < $deadline);
    return $lines;
}

try {
    section('1. One call: SkypeBus\skype_send_chat_message()');
    echo "skype_send_chat_message('bob', 'Hello Bob, this is PHP speaking over D-Bus.')\n";
    $id = skype_send_chat_message('bob', 'Hello Bob, this is PHP speaking over D-Bus.');
    echo "  -> chat message id $id\n";

    $file = getenv('SKYPE_TRANSCRIPT');
    if ($file !== false && $file !== '') {
        section("What Skype received and sent (the emulator's transcript: C command, R reply, N notification)");
        $sent = "CHATMESSAGE $id STATUS SENT";
        foreach (transcript($file, $sent) as $line) {
            echo '  ', $line, substr($line, -strlen($sent)) === $sent ? '    <- the SENT notification' : '', "\n";
        }
    }

    section('2. The SkypeBus\Skype object: attach, commands, a multi-line message, notifications');
    $bus = Bus::session();
    $skype = Skype::attach($bus, 'skypebus-demo');
    printf("attached as skypebus-demo, protocol %d\n", $skype->getProtocol());
    foreach (['GET CURRENTUSERHANDLE', 'SEARCH FRIENDS', 'GET USER bob FULLNAME'] as $command) {
        printf("  %-22s -> %s\n", $command, $skype->command($command));
    }
    $text = "Second message, two lines:\nGrüße aus PHP ✓";
    $id2 = $skype->sendChatMessage('bob', $text);
    echo "sent chat message $id2 (", json_encode($text, JSON_UNESCAPED_UNICODE), ")\n";
    echo "notifications received by PHP:\n";
    foreach ($skype->notifications(5.0) as $line) {
        echo '  ', $line, "\n";
        if ($line === "CHATMESSAGE $id2 STATUS SENT") {
            break;
        }
    }
    echo "read back: ", json_encode($skype->command("GET CHATMESSAGE $id2 BODY"), JSON_UNESCAPED_UNICODE), "\n";
    try {
        $skype->command('CHATMESSAGE #alice/$nobody;0000000000000000 hi');
    } catch (SkypeBus\Exception\SkypeException $e) {
        printf("a Skype error: %s code %d: %s\n", get_class($e), $e->getCode(), $e->getMessage());
    }
    $skype->close();

    section('3. Generic D-Bus calls to the bus itself');
    $dbus = $bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
    $show = static function (string $call, $result): void {
        printf("  %-42s -> %s\n", $call, is_string($result) || is_int($result) ? $result : json_encode($result));
    };
    $show('ListNames()', implode(', ', $dbus->ListNames()));
    $owner = $dbus->GetNameOwner('com.Skype.API');
    $show("GetNameOwner('com.Skype.API')", $owner);
    $show("GetConnectionUnixProcessID('$owner')", $dbus->GetConnectionUnixProcessID($owner));
    $show('property Features', $dbus->Features);
    $node = $bus->introspect('com.Skype.API', '/com/Skype');
    foreach ($node['interfaces'] as $interface) {
        foreach ($interface['methods'] as $method) {
            if ($interface['name'] === 'com.Skype.API') {
                $show('introspection of com.Skype.API /com/Skype', sprintf('%s.%s(%s) -> %s', $interface['name'], $method['name'], $method['in_signature'], $method['out_signature']));
            }
        }
    }
    $bus->close();
    echo "\ndone.\n";
} catch (SkypeBusException $e) {
    fprintf(STDERR, "%s: %s\n", get_class($e), $e->getMessage());
    exit(1);
}
