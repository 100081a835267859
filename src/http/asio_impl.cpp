// Asio, its SSL layer and Beast compiled once for the whole program
// (BOOST_ASIO_SEPARATE_COMPILATION, BOOST_BEAST_SEPARATE_COMPILATION): every other translation unit
// includes their headers without the implementation, which keeps rebuilds fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
