//! viot-web
