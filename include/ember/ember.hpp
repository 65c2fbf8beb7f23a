#pragma once
/// Everything of Ember's public API in one include.

#include <ember/clock.hpp>
#include <ember/codec.hpp>
#include <ember/conf.hpp>
#include <ember/datagen.hpp>
#include <ember/dstream.hpp>
#include <ember/error.hpp>
#include <ember/hash.hpp>
#include <ember/listener.hpp>
#include <ember/logging.hpp>
#include <ember/rdd.hpp>
#include <ember/receiver.hpp>
#include <ember/render.hpp>
#include <ember/shared_variables.hpp>
#include <ember/state.hpp>
#include <ember/streaming_context.hpp>
#include <ember/text.hpp>
#include <ember/time.hpp>
