// Wall mode (callbacks/wall.py): the clock, the rotation through the views and the nightly reload run here,
// in the browser, so a wall asks the server nothing every second.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
        // The clock, once a second; also reloads the page when its reload time has come.
        tick: function (n, config) {
            if (!config) { return window.dash_clientside.no_update; }
            var state = window.iocWall || (window.iocWall = {loadedAt: Date.now()});
            if (state.reloadAt === undefined) { state.reloadAt = nextReload(config, state.loadedAt); }
            var now = Date.now();
            if (now >= state.reloadAt && !state.reloading) {
                state.reloading = true;
                window.location.reload();
            }
            var locale = config.lang === "vi" ? "vi-VN" : "en-GB";
            var when = new Date(now);
            var time = when.toLocaleTimeString(locale, {timeZone: config.timezone, hour: "2-digit", minute: "2-digit",
                                                        second: "2-digit", hour12: false});
            var day = when.toLocaleDateString("en-GB", {timeZone: config.timezone, day: "2-digit", month: "2-digit",
                                                       year: "numeric"});
            return time + " · " + (config.lang === "vi" ? day : day.split("/").reverse().join("-"));
        },
        // A version only ever moves forward (responses may arrive out of order); text or number.
        newer: function (candidate, current) {
            if (candidate === null || candidate === undefined) { return window.dash_clientside.no_update; }
            var now = Number(current);
            if (current !== null && current !== undefined && current !== "" && Number(candidate) <= now) {
                return window.dash_clientside.no_update;
            }
            return typeof current === "string" ? String(candidate) : candidate;
        },
        // One view at a time: the panel whose turn it is gets the class "active".
        rotate: function (n, config) {
            var count = config && config.views ? config.views.length : 0;
            if (!count) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
            var active = (n || 0) % count;
            var classes = config.views.map(function (_, i) { return i === active ? "wall-panel active" : "wall-panel"; });
            return [classes, (active + 1) + " / " + count];
        }
    }
});

// The reload moment after `loadedAt` (ms): "HH:MM" in the city's local time (a fixed UTC offset: Viet Nam
// keeps no daylight saving), or a number of seconds after loading (tests).
function nextReload(config, loadedAt) {
    var reload = String(config.reload || "");
    if (/^\d+$/.test(reload)) { return loadedAt + Number(reload) * 1000; }
    var parts = reload.split(":");
    var minuteOfDay = Number(parts[0]) * 60 + Number(parts[1]);
    var offset = config.utc_offset_minutes * 60000;
    var day = 86400000;
    var localMidnight = Math.floor((loadedAt + offset) / day) * day - offset;
    var at = localMidnight + minuteOfDay * 60000;
    return at > loadedAt ? at : at + day;
}
